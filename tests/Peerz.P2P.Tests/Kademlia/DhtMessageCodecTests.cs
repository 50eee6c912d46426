using Peerz.P2P.Kademlia.Wire;

namespace Peerz.P2P.Tests.Kademlia;

public sealed class DhtMessageCodecTests
{
    /// <summary>
    /// Bytes derived by hand from the kad-dht spec's protobuf (type = 1 varint, key = 2 bytes,
    /// closerPeers = 8 { id = 1, addrs = 2 }) and the protobuf encoding guide, not from our encoder.
    /// </summary>
    [Fact]
    public void EncodesFindNodeResponseAsTheSpecDefines()
    {
        var message = new DhtMessage(DhtMessageType.FindNode, "abc"u8.ToArray(),
            CloserPeers: [new DhtPeerInfo([0xAA, 0xBB], [[0x04, 127, 0, 0, 1]])]);

        byte[] expected =
        [
            0x08, 0x04,                   // type = FIND_NODE (4)
            0x12, 0x03, 0x61, 0x62, 0x63, // key = "abc"
            0x42, 0x0B,                   // closerPeers (field 8, wire type 2), 11 bytes
            0x0A, 0x02, 0xAA, 0xBB,       //   id
            0x12, 0x05, 0x04, 127, 0, 0, 1, //   addrs[0]
        ];
        Assert.Equal(expected, message.ToBytes());
        Assert.Equal(expected.Length, message.EncodedSize());
    }

    [Fact]
    public void RoundTripsEveryField()
    {
        var message = new DhtMessage(
            DhtMessageType.GetProviders,
            "/peerz/key"u8.ToArray(),
            new DhtRecord("/peerz/key"u8.ToArray(), [1, 2, 3], "2026-11-23T09:00:00Z"),
            [new DhtPeerInfo([1, 2, 3], [[4, 5], []], DhtConnectionType.Connected)],
            [new DhtPeerInfo([9], [], DhtConnectionType.CannotConnect)],
            ClusterLevel: 7);

        var decoded = DhtMessage.Decode(message.ToBytes());

        Assert.Equal(message.Type, decoded.Type);
        Assert.Equal(message.Key, decoded.Key);
        Assert.Equal(message.ClusterLevel, decoded.ClusterLevel);
        Assert.Equal(message.Record!.Key, decoded.Record!.Key);
        Assert.Equal(message.Record.Value, decoded.Record.Value);
        Assert.Equal(message.Record.TimeReceived, decoded.Record.TimeReceived);
        var peer = Assert.Single(decoded.CloserPeers);
        Assert.Equal([1, 2, 3], peer.Id);
        Assert.Equal([[4, 5], []], peer.Addresses);
        Assert.Equal(DhtConnectionType.Connected, peer.Connection);
        Assert.Equal([9], Assert.Single(decoded.ProviderPeers).Id);
    }

    [Fact]
    public void SkipsUnknownFields()
    {
        // field 15 varint, field 16 fixed32, field 17 fixed64, field 18 bytes, then type = GET_VALUE
        byte[] data = [0x78, 0x01, 0x85, 0x01, 1, 2, 3, 4, 0x89, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x92, 0x01, 0x01, 0xFF, 0x08, 0x01];
        Assert.Equal(DhtMessageType.GetValue, DhtMessage.Decode(data).Type);
    }

    [Theory]
    [InlineData(new byte[] { 0x08 }, "truncated")]
    [InlineData(new byte[] { 0x08, 0x09 }, "unknown DHT message type")]
    [InlineData(new byte[] { 0x12, 0x05, 0x61 }, "exceeds the remaining")]
    [InlineData(new byte[] { 0x0B }, "wire type")]
    [InlineData(new byte[] { 0x00, 0x00 }, "field number")]
    [InlineData(new byte[] { 0x42, 0x00 }, "without an id")]
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F }, "overflows")]
    public void RejectsMalformedMessages(byte[] data, string reason)
    {
        var error = Assert.Throws<DhtProtocolException>(() => DhtMessage.Decode(data));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void FuzzedInputOnlyEverRaisesProtocolErrors()
    {
        var random = new Random(20261123);
        var valid = new DhtMessage(DhtMessageType.PutValue, "/peerz/k"u8.ToArray(),
            new DhtRecord("/peerz/k"u8.ToArray(), new byte[40]), [new DhtPeerInfo([1, 2], [[3, 4]])]).ToBytes();
        for (var i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 64)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])valid.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                input = input[..random.Next(input.Length + 1)];
            }
            try
            {
                DhtMessage.Decode(input);
            }
            catch (DhtProtocolException)
            {
                // The only acceptable failure.
            }
        }
    }

    [Fact]
    public async Task FramingRoundTripsSeveralMessagesOnOneStream()
    {
        var stream = new MemoryStream();
        var first = new DhtMessage(DhtMessageType.FindNode, new byte[200]);
        var second = new DhtMessage(DhtMessageType.Ping, []);
        await DhtMessageFraming.WriteAsync(stream, first, 1024, CancellationToken.None);
        await DhtMessageFraming.WriteAsync(stream, second, 1024, CancellationToken.None);
        stream.Position = 0;

        Assert.Equal(200, (await DhtMessageFraming.ReadAsync(stream, 1024, CancellationToken.None))!.Key.Length);
        Assert.Equal(DhtMessageType.Ping, (await DhtMessageFraming.ReadAsync(stream, 1024, CancellationToken.None))!.Type);
        Assert.Null(await DhtMessageFraming.ReadAsync(stream, 1024, CancellationToken.None));
    }

    [Fact]
    public async Task FramingRejectsOversizedPrefixBeforeReadingTheBody()
    {
        // Prefix announces 2^28 bytes; only the prefix is present, so reading a body would fail differently.
        var stream = new MemoryStream([0x80, 0x80, 0x80, 0x80, 0x01]);
        var error = await Assert.ThrowsAsync<DhtProtocolException>(() => DhtMessageFraming.ReadAsync(stream, 64 * 1024, CancellationToken.None));
        Assert.Contains("exceeds", error.Message);
    }

    [Fact]
    public async Task FramingRejectsTruncatedMessagesAndPrefixes()
    {
        await Assert.ThrowsAsync<DhtProtocolException>(() => DhtMessageFraming.ReadAsync(new MemoryStream([0x05, 0x08]), 1024, CancellationToken.None));
        await Assert.ThrowsAsync<DhtProtocolException>(() => DhtMessageFraming.ReadAsync(new MemoryStream([0x85]), 1024, CancellationToken.None));
    }

    [Fact]
    public async Task FramingRefusesToSendOversizedMessages()
    {
        var message = new DhtMessage(DhtMessageType.FindNode, new byte[2000]);
        await Assert.ThrowsAsync<DhtProtocolException>(() => DhtMessageFraming.WriteAsync(new MemoryStream(), message, 1024, CancellationToken.None));
    }
}
