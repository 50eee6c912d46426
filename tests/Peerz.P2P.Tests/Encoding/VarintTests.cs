using Peerz.P2P.Encoding;

namespace Peerz.P2P.Tests.Encoding;

public sealed class VarintTests
{
    // Examples from the multiformats/unsigned-varint README.
    [Theory]
    [InlineData(1UL, "01")]
    [InlineData(127UL, "7f")]
    [InlineData(128UL, "8001")]
    [InlineData(255UL, "ff01")]
    [InlineData(300UL, "ac02")]
    [InlineData(16384UL, "808001")]
    public void MatchesSpecExamples(ulong value, string hex)
    {
        Assert.Equal(hex, Convert.ToHexStringLower(Varint.Encode(value)));
        Assert.Equal(value, Varint.Read(Convert.FromHexString(hex), out var n));
        Assert.Equal(hex.Length / 2, n);
    }

    [Theory]
    [InlineData("8000")] // non-minimal zero continuation
    [InlineData("ffffffffffffffffff01")] // 10 bytes
    public void RejectsMalformed(string hex) =>
        Assert.Throws<FormatException>(() => Varint.Read(Convert.FromHexString(hex), out _));

    [Fact]
    public void TruncatedNeedsMoreBytes() => Assert.False(Varint.TryRead([0x80, 0x80], out _, out _));

    [Fact]
    public async Task LengthPrefixedRejectsOversizedMessageBeforeAllocating()
    {
        using var stream = new MemoryStream([.. Varint.Encode(1UL << 40), 1, 2, 3]);
        await Assert.ThrowsAsync<InvalidDataException>(() => LengthPrefixed.ReadAsync(stream, 1024, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task LengthPrefixedTruncatedMessageThrows()
    {
        using var stream = new MemoryStream([10, 1, 2, 3]);
        await Assert.ThrowsAsync<EndOfStreamException>(() => LengthPrefixed.ReadAsync(stream, 1024, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task LengthPrefixedRoundTripsAndEndsCleanly()
    {
        using var stream = new MemoryStream();
        await LengthPrefixed.WriteAsync(stream, new byte[300], CancellationToken.None);
        stream.Position = 0;
        Assert.Equal(300, (await LengthPrefixed.ReadAsync(stream, 1024, CancellationToken.None)).Length);
        Assert.Null(await LengthPrefixed.TryReadAsync(stream, 1024, CancellationToken.None));
    }
}
