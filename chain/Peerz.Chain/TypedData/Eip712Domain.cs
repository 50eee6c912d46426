using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Chain.TypedData;

/// <summary>The EIP-712 domain; only the fields that are set take part in EIP712Domain.</summary>
public sealed record Eip712Domain(
    string? Name = null,
    string? Version = null,
    BigInteger? ChainId = null,
    Address? VerifyingContract = null,
    byte[]? Salt = null)
{
    internal (IReadOnlyList<Eip712Field> Fields, Dictionary<string, object?> Values) ToStruct()
    {
        var fields = new List<Eip712Field>();
        var values = new Dictionary<string, object?>();
        if (Name is not null)
        {
            fields.Add(new("name", "string"));
            values["name"] = Name;
        }

        if (Version is not null)
        {
            fields.Add(new("version", "string"));
            values["version"] = Version;
        }

        if (ChainId is not null)
        {
            fields.Add(new("chainId", "uint256"));
            values["chainId"] = ChainId.Value;
        }

        if (VerifyingContract is not null)
        {
            fields.Add(new("verifyingContract", "address"));
            values["verifyingContract"] = VerifyingContract.Value;
        }

        if (Salt is not null)
        {
            fields.Add(new("salt", "bytes32"));
            values["salt"] = Salt;
        }

        return (fields, values);
    }
}
