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

    [Fact]
    public async Task ListensOnIp6AndDialsByDnsName()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var server = new Libp2pHost(new Libp2pHostOptions
        {
            ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"), Multiaddr.Parse("/ip6/::1/tcp/0")],
        }, NullLoggerFactory.Instance);
        await server.StartAsync(cts.Token);
        Assert.StartsWith("/ip6/::1/tcp/", server.ListenAddresses[1].ToString());
        Assert.Equal(server.PeerId, server.ListenAddresses[1].PeerId);

        await using var viaIp6 = new Libp2pHost(new Libp2pHostOptions(), NullLoggerFactory.Instance);
        Assert.Equal(server.PeerId, await viaIp6.ConnectAsync(server.ListenAddresses[1], cts.Token));

        var port = server.ListenAddresses[0].Components[1].Value;
        var byName = Multiaddr.Parse($"/dns4/localhost/tcp/{(port[0] << 8) | port[1]}/p2p/{server.PeerId}");
        await using var viaDns = new Libp2pHost(new Libp2pHostOptions(), NullLoggerFactory.Instance);
        Assert.Equal(server.PeerId, await viaDns.ConnectAsync(byName, cts.Token));
        Assert.True(await viaDns.PingAsync(server.PeerId, cts.Token) > TimeSpan.Zero);
    }

    [Fact]
    public async Task DialingTheWrongPeerIdFails()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var server = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, NullLoggerFactory.Instance);
        await server.StartAsync(cts.Token);
        await using var client = new Libp2pHost(new Libp2pHostOptions(), NullLoggerFactory.Instance);
        var impostor = server.ListenAddresses[0].WithPeerId(Identity.Generate().PeerId);
        await Assert.ThrowsAsync<Noise.NoiseHandshakeException>(() => client.ConnectAsync(impostor, cts.Token));
        Assert.Empty(client.ConnectedPeers);
    }
}
