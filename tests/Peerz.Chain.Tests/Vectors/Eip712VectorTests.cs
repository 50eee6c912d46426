using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.TypedData;

namespace Peerz.Chain.Tests.Vectors;

// EIP-712 specification, the "Mail" example (assets/eip-712/Example.js): values and expected hashes as printed there.
public sealed class Eip712VectorTests
{
    private static readonly Eip712 Mail = new(new Dictionary<string, IReadOnlyList<Eip712Field>>
    {
        ["Person"] = [new("name", "string"), new("wallet", "address")],
        ["Mail"] = [new("from", "Person"), new("to", "Person"), new("contents", "string")],
    });

    private static readonly Eip712Domain Domain = new("Ether Mail", "1", 1, Address.Parse("0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"));

    private static readonly Dictionary<string, object?> Message = new()
    {
        ["from"] = new Dictionary<string, object?> { ["name"] = "Cow", ["wallet"] = Address.Parse("0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826") },
        ["to"] = new Dictionary<string, object?> { ["name"] = "Bob", ["wallet"] = Address.Parse("0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB") },
        ["contents"] = "Hello, Bob!",
    };

    [Fact]
    public void Mail_example_hashes_match_the_eip()
    {
        Assert.Equal("Mail(Person from,Person to,string contents)Person(string name,address wallet)", Mail.EncodeType("Mail"));
        Assert.Equal("0xa0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2", Hex.Encode(Mail.TypeHash("Mail")));
        Assert.Equal("0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e", Hex.Encode(Mail.HashStruct("Mail", Message)));
        Assert.Equal("0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f", Hex.Encode(Eip712.DomainSeparator(Domain)));
        Assert.Equal("0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2", Hex.Encode(Mail.Digest(Domain, "Mail", Message)));
    }

    [Fact]
    public void Mail_example_signature_matches_the_eip()
    {
        // The example signs with keccak256("cow") as the private key; expected v = 28, r, s printed in Example.js.
        var cow = new EthKey(Keccak.Hash("cow"));
        Assert.Equal("0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", cow.Address.ToString());
        var signature = Mail.Sign(cow, Domain, "Mail", Message);
        Assert.Equal(28, signature.ToBytes()[64]);
        Assert.Equal(BigInteger.Parse("04355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d", System.Globalization.NumberStyles.HexNumber), signature.R);
        Assert.Equal(BigInteger.Parse("007299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562", System.Globalization.NumberStyles.HexNumber), signature.S);
    }

    [Fact]
    public void Missing_fields_and_unknown_types_are_reported()
    {
        Assert.Throws<ArgumentException>(() => Mail.HashStruct("Mail", new Dictionary<string, object?> { ["contents"] = "x" }));
        Assert.Throws<ArgumentException>(() => Mail.TypeHash("Nope"));
    }
}
