using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P.Tests.Infrastructure;

namespace Peerz.P2P.Tests.Interop;

/// <summary>Two C# hosts on loopback: the full upgrade path, streams, identify and ping.</summary>
public sealed class LocalHostTests
{
    [Fact]
    public async Task TwoHostsEchoIdentifyAndPing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var a = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, NullLoggerFactory.Instance);
        await using var b = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, NullLoggerFactory.Instance);
        b.SetStreamHandler(EchoProtocol.Id, EchoProtocol.HandleAsync);
        var connected = new TaskCompletionSource<PeerId>();
        b.PeerConnected += (_, e) => connected.TrySetResult(e.Peer);
        await a.StartAsync(cts.Token);
        await b.StartAsync(cts.Token);

        var remote = await a.ConnectAsync(b.ListenAddresses[0], cts.Token);
        Assert.Equal(b.PeerId, remote);
        Assert.Equal(a.PeerId, await connected.Task.WaitAsync(cts.Token));

        var info = await a.IdentifyAsync(b.PeerId, cts.Token);
        Assert.Contains(EchoProtocol.Id, info.Protocols);
        Assert.Equal(b.PeerId, PeerId.FromPublicKey(info.PublicKey));

        Assert.True(await a.PingAsync(b.PeerId, cts.Token) > TimeSpan.Zero);
        Assert.True(await b.PingAsync(a.PeerId, cts.Token) > TimeSpan.Zero);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var stream = await a.OpenStreamAsync(b.PeerId, EchoProtocol.Id, cts.Token);
            return await EchoProtocol.RoundTripAsync(stream, 1 << 20, cts.Token);
        }));
        Assert.All(results, Assert.True);

        await Assert.ThrowsAsync<ProtocolNotSupportedException>(() => a.OpenStreamAsync(b.PeerId, "/peerz/unknown/1.0.0", cts.Token));
    }
}
