namespace Peerz.Chain.Abi;

/// <summary>A contract function: selector, call encoding and return decoding.</summary>
public sealed record AbiFunction(string Name, IReadOnlyList<AbiParameter> Inputs, IReadOnlyList<AbiParameter> Outputs)
{
    public string Signature => AbiSignature.Format(Name, Inputs.Select(p => p.Type));

    public byte[] Selector => AbiSignature.Selector(Signature);

    /// <summary>From "name(types)" and optional output types, e.g. ("balanceOf(address)", "uint256").</summary>
    public static AbiFunction Parse(string signature, params string[] outputTypes)
    {
        var (name, types) = AbiSignature.Parse(signature);
        return new AbiFunction(
            name,
            types.Select((t, i) => new AbiParameter($"arg{i}", t)).ToArray(),
            outputTypes.Select((t, i) => new AbiParameter($"out{i}", AbiType.Parse(t))).ToArray());
    }

    public byte[] EncodeCall(params object?[] arguments)
    {
        if (arguments.Length != Inputs.Count)
        {
            throw new AbiException($"{Signature} takes {Inputs.Count} arguments, got {arguments.Length}.");
        }

        var body = AbiCodec.Encode(Inputs.Select(p => p.Type).ToArray(), arguments);
        return [.. Selector, .. body];
    }

    public object?[] DecodeOutput(ReadOnlySpan<byte> returnData) =>
        AbiCodec.Decode(Outputs.Select(p => p.Type).ToArray(), returnData);
}
