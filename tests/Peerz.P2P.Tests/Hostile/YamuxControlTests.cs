using Peerz.P2P.Noise;
using Peerz.P2P.Tests.Infrastructure;
using Peerz.P2P.Yamux;
using Peerz.Testing.Logging;

namespace Peerz.P2P.Tests.Hostile;

/// <summary>Yamux control frames against a real host: ping echo and the per-connection stream limit.</summary>
public sealed class YamuxControlTests
{
    [Fact]
    public async Task AnswersPingAndResetsStreamsBeyondTheLimit()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var host = new Libp2pHost(new Libp2pHostOptions
        {
            ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")],
            MaxStreamsPerConnection = 2,
        }, new RecordedLogs());
        await host.StartAsync(cts.Token);
        await using var secure = await RawPeer.SecureAsync(host, new NoiseHandshake(Identity.Generate()), cts.Token);

        await WriteAsync(secure, new YamuxHeader(YamuxType.Ping, YamuxFlags.Syn, 0, 0xC0FFEE), cts.Token);
        // The host pings at start too (to measure the round trip); wait for the answer to ours.
        var pong = await ReadUntilAsync(secure, h => h.Type == YamuxType.Ping && h.Flags != YamuxFlags.Syn, cts.Token);
        Assert.Equal(YamuxFlags.Ack, pong.Flags);
        Assert.Equal(0xC0FFEEu, pong.Length);

        // Streams 1 and 3 fit (the host's own identify stream may take a slot too); by stream 5 the limit of 2 is exceeded.
        foreach (var id in new uint[] { 1, 3, 5 })
        {
            await WriteAsync(secure, new YamuxHeader(YamuxType.WindowUpdate, YamuxFlags.Syn, id, 0), cts.Token);
        }
        var reset = await ReadUntilAsync(secure, h => h.Flags.HasFlag(YamuxFlags.Rst) && h.StreamId % 2 == 1, cts.Token);
        Assert.True(reset.StreamId is 3 or 5);
    }

    private static async Task WriteAsync(Stream stream, YamuxHeader header, CancellationToken ct)
    {
        var frame = new byte[YamuxHeader.Size];
        header.Write(frame);
        await stream.WriteAsync(frame, ct);
        await stream.FlushAsync(ct);
    }

    private static async Task<YamuxHeader> ReadUntilAsync(Stream stream, Func<YamuxHeader, bool> match, CancellationToken ct)
    {
        var buffer = new byte[YamuxHeader.Size];
        while (true)
        {
            await stream.ReadExactlyAsync(buffer, ct);
            var header = YamuxHeader.Read(buffer);
            if (header.Type == YamuxType.Data)
            {
                await stream.ReadExactlyAsync(new byte[header.Length], ct);
            }
            if (match(header))
            {
                return header;
            }
        }
    }
}
