using Peerz.Chain.Crypto;

namespace Peerz.Chain.Abi;

/// <summary>Parses "name(type1,type2)" signatures and computes their hashes.</summary>
public static class AbiSignature
{
    public static (string Name, IReadOnlyList<AbiType> Types) Parse(string signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var open = signature.IndexOf('(', StringComparison.Ordinal);
        if (open <= 0 || !signature.EndsWith(')'))
        {
            throw new AbiException($"Expected 'name(types)', got '{signature}'.");
        }

        var name = signature[..open];
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$'))
        {
            throw new AbiException($"Invalid name in signature '{signature}'.");
        }

        var tuple = (AbiTuple)AbiType.Parse(signature[open..]);
        return (name, tuple.Components);
    }

    public static string Format(string name, IEnumerable<AbiType> types) =>
        name + "(" + string.Join(",", types.Select(t => t.CanonicalName)) + ")";

    /// <summary>First four bytes of the Keccak-256 of the canonical signature.</summary>
    public static byte[] Selector(string canonicalSignature) => Keccak.Hash(canonicalSignature)[..4];
}
