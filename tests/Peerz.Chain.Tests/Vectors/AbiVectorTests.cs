using System.Numerics;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Tests.Vectors;

public sealed class AbiVectorTests
{
    [Theory]
    // Selectors quoted in the ERC-20 ecosystem and the Solidity documentation ("Error(string)" 0x08c379a0, "Panic(uint256)" 0x4e487b71).
    [InlineData("transfer(address,uint256)", "0xa9059cbb")]
    [InlineData("balanceOf(address)", "0x70a08231")]
    [InlineData("Error(string)", "0x08c379a0")]
    [InlineData("Panic(uint256)", "0x4e487b71")]
    // Solidity ABI specification, "Examples": baz(uint32,bool) and sam(bytes,bool,uint256[]).
    [InlineData("baz(uint32,bool)", "0xcdcd77c0")]
    [InlineData("sam(bytes,bool,uint256[])", "0xa5643bf2")]
    public void Selectors_match_published_values(string signature, string selector) =>
        Assert.Equal(selector, Hex.Encode(AbiFunction.Parse(signature).Selector));

    [Fact]
    public void Abi_spec_sam_example_encodes_as_documented()
    {
        // Solidity ABI specification: sam("dave", true, [1,2,3]).
        var call = AbiFunction.Parse("sam(bytes,bool,uint256[])").EncodeCall(
            System.Text.Encoding.ASCII.GetBytes("dave"), true, new object[] { 1, 2, 3 });
        Assert.Equal(
            "0xa5643bf2" +
            "0000000000000000000000000000000000000000000000000000000000000060" +
            "0000000000000000000000000000000000000000000000000000000000000001" +
            "00000000000000000000000000000000000000000000000000000000000000a0" +
            "0000000000000000000000000000000000000000000000000000000000000004" +
            "6461766500000000000000000000000000000000000000000000000000000000" +
            "0000000000000000000000000000000000000000000000000000000000000003" +
            "0000000000000000000000000000000000000000000000000000000000000001" +
            "0000000000000000000000000000000000000000000000000000000000000002" +
            "0000000000000000000000000000000000000000000000000000000000000003",
            Hex.Encode(call));
    }

    [Fact]
    public void Abi_spec_dynamic_example_encodes_as_documented()
    {
        // Solidity ABI specification: f(uint256,uint32[],bytes10,bytes) with (0x123, [0x456, 0x789], "1234567890", "Hello, world!").
        var call = AbiFunction.Parse("f(uint256,uint32[],bytes10,bytes)").EncodeCall(
            0x123, new object[] { 0x456, 0x789 }, System.Text.Encoding.ASCII.GetBytes("1234567890"), System.Text.Encoding.ASCII.GetBytes("Hello, world!"));
        Assert.Equal(
            "0x8be65246" +
            "0000000000000000000000000000000000000000000000000000000000000123" +
            "0000000000000000000000000000000000000000000000000000000000000080" +
            "3132333435363738393000000000000000000000000000000000000000000000" +
            "00000000000000000000000000000000000000000000000000000000000000e0" +
            "0000000000000000000000000000000000000000000000000000000000000002" +
            "0000000000000000000000000000000000000000000000000000000000000456" +
            "0000000000000000000000000000000000000000000000000000000000000789" +
            "000000000000000000000000000000000000000000000000000000000000000d" +
            "48656c6c6f2c20776f726c642100000000000000000000000000000000000000",
            Hex.Encode(call));
    }

    [Fact]
    public void Transfer_event_topic_and_log_decode()
    {
        // ERC-20 Transfer topic as seen in every token log.
        var transfer = new AbiEvent("Transfer", [
            new("from", new AbiAddress(), true), new("to", new AbiAddress(), true), new("value", new AbiUInt(256))]);
        Assert.Equal("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef", Hex.Encode(transfer.Topic));
        var from = Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        var to = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        var log = transfer.DecodeLog(
            [transfer.Topic, [.. new byte[12], .. from.Bytes], [.. new byte[12], .. to.Bytes]],
            AbiCodec.Encode([new AbiUInt(256)], [BigInteger.Parse("1000000000000000000")]));
        Assert.Equal(from, log["from"]);
        Assert.Equal(to, log["to"]);
        Assert.Equal(BigInteger.Parse("1000000000000000000"), log["value"]);
    }

    [Fact]
    public void Revert_reasons_decode()
    {
        // Solidity docs: revert("Not enough Ether provided.") produces 0x08c379a0 ‖ abi.encode(string).
        var error = Hex.Decode("0x08c379a0" + Convert.ToHexStringLower(AbiCodec.Encode([new AbiString()], ["Not enough Ether provided."])));
        Assert.Equal("Not enough Ether provided.", RevertReason.Decode(error).Message);
        var panic = RevertReason.Decode(Hex.Decode("0x4e487b71" + "11".PadLeft(64, '0')));
        Assert.Equal(RevertKind.Panic, panic.Kind);
        Assert.Equal(0x11, (int)panic.PanicCode!.Value);
        var custom = AbiError.Parse("InsufficientBalance(uint256,uint256)");
        var customData = custom.Selector.Concat(AbiCodec.Encode(custom.Inputs.Select(i => i.Type).ToArray(), [5, 7])).ToArray();
        var decoded = RevertReason.Decode(customData, [custom]);
        Assert.Equal("InsufficientBalance(5, 7)", decoded.Message);
        Assert.Equal(RevertKind.Unknown, RevertReason.Decode(customData).Kind);
        Assert.Equal(RevertKind.Unknown, RevertReason.Decode(Hex.Decode("0x08c379a0ffff")).Kind);
        Assert.Equal(RevertKind.Empty, RevertReason.Decode([]).Kind);
    }

    [Fact]
    public void Out_of_bounds_offsets_and_bad_values_give_abi_exceptions()
    {
        var huge = Hex.Decode("0x" + "ff".PadLeft(64, '0'));
        Assert.Throws<AbiException>(() => AbiCodec.Decode([new AbiBytes()], huge));
        Assert.Throws<AbiException>(() => AbiCodec.Decode([new AbiUInt(256)], new byte[31]));
        Assert.Throws<AbiException>(() => AbiCodec.Decode([new AbiBool()], Hex.Decode("0x" + "2".PadLeft(64, '0'))));
        Assert.Throws<AbiException>(() => AbiCodec.Decode([new AbiAddress()], Hex.Decode("0x" + "1".PadRight(64, '0'))));
        Assert.Throws<AbiException>(() => AbiCodec.Decode([new AbiUInt(8)], Hex.Decode("0x" + "100".PadLeft(64, '0'))));
        var lengthTooLarge = Hex.Decode("0x" + "20".PadLeft(64, '0') + "ffffffff".PadLeft(64, '0'));
        Assert.Throws<AbiException>(() => AbiCodec.Decode([new AbiArray(new AbiUInt(256), null)], lengthTooLarge));
        Assert.Throws<AbiException>(() => AbiCodec.Encode([new AbiUInt(8)], [256]));
        Assert.Throws<AbiException>(() => AbiCodec.Encode([new AbiInt(8)], [-129]));
        Assert.Throws<AbiException>(() => AbiCodec.Encode([new AbiFixedBytes(4)], [new byte[5]]));
        Assert.Throws<AbiException>(() => AbiCodec.Encode([new AbiString()], [42]));
        Assert.Throws<AbiException>(() => AbiType.Parse("uint7"));
        Assert.Throws<AbiException>(() => AbiType.Parse("(uint256"));
        Assert.Throws<AbiException>(() => AbiType.Parse("bytes33"));
    }
}
