namespace Peerz.Chain.Abi;

/// <summary>A custom Solidity error (revert data = selector + ABI-encoded arguments).</summary>
public sealed record AbiError(string Name, IReadOnlyList<AbiParameter> Inputs)
{
    public string Signature => AbiSignature.Format(Name, Inputs.Select(p => p.Type));

    public byte[] Selector => AbiSignature.Selector(Signature);

    public static AbiError Parse(string signature)
    {
        var (name, types) = AbiSignature.Parse(signature);
        return new AbiError(name, types.Select((t, i) => new AbiParameter($"arg{i}", t)).ToArray());
    }
}
