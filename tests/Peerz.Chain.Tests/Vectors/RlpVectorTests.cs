using Peerz.Chain.Primitives;
using Peerz.Chain.Rlp;

namespace Peerz.Chain.Tests.Vectors;

// Examples from the Ethereum wiki / ethereum.org "Recursive-length prefix (RLP) serialization" page.
public sealed class RlpVectorTests
{
    private static RlpItem S(string ascii) => RlpItem.String(System.Text.Encoding.ASCII.GetBytes(ascii));

    public static TheoryData<string, RlpItem> Vectors() => new()
    {
        { "0x83646f67", S("dog") },
        { "0xc88363617483646f67", RlpItem.List(S("cat"), S("dog")) },
        { "0x80", S(string.Empty) },
        { "0xc0", RlpItem.List() },
        { "0x80", RlpItem.Integer(0) },
        { "0x00", RlpItem.String(new byte[] { 0 }) },
        { "0x0f", RlpItem.Integer(15) },
        { "0x820400", RlpItem.Integer(1024) },
        { "0xc7c0c1c0c3c0c1c0", RlpItem.List(RlpItem.List(), RlpItem.List(RlpItem.List()), RlpItem.List(RlpItem.List(), RlpItem.List(RlpItem.List()))) },
        {
            "0xb8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974",
            S("Lorem ipsum dolor sit amet, consectetur adipisicing elit")
        },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Encodes_and_decodes_published_examples(string expected, RlpItem item)
    {
        Assert.Equal(expected, Hex.Encode(RlpEncoder.Encode(item)));
        var decoded = RlpDecoder.Decode(Hex.Decode(expected));
        Assert.Equal(expected, Hex.Encode(RlpEncoder.Encode(decoded)));
    }

    [Theory]
    [InlineData("0x", "end of input")]
    [InlineData("0x83646f", "Truncated")]
    [InlineData("0xc88363617483646f", "Truncated")]
    [InlineData("0x8100", "non-canonical")]
    [InlineData("0xb80100", "non-canonical")]
    [InlineData("0xb9000100", "leading zero")]
    [InlineData("0x83646f6700", "trailing")]
    [InlineData("0xbbffffffff", "claims")]
    public void Malformed_input_gives_an_rlp_exception(string hex, string reason)
    {
        var ex = Assert.Throws<RlpException>(() => RlpDecoder.Decode(Hex.Decode(hex)));
        Assert.Contains(reason, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Deep_nesting_is_rejected_not_overflowing_the_stack()
    {
        var bytes = Enumerable.Repeat((byte)0xc1, 100_000).Append((byte)0xc0).ToArray();
        Assert.Throws<RlpException>(() => RlpDecoder.Decode(bytes));
    }
}
