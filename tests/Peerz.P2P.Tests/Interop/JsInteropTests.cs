using Peerz.P2P.Tests.Infrastructure;

namespace Peerz.P2P.Tests.Interop;

/// <summary>
/// Interop with js-libp2p 3.3.11 (@chainsafe/libp2p-noise 17, @chainsafe/libp2p-yamux 8, @libp2p/identify 4,
/// @libp2p/ping 3) as an independent implementation, dialing in both directions.
/// </summary>
[Trait("Category", "JavaScript")]
public sealed class JsInteropTests
{
    private const int Streams = 16;
    private const int MessageSize = 2 * 1024 * 1024;

    [Fact]
    public async Task CSharpDialsJs()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var js = await JsPeer.StartAsync(cts.Token);
        await using var host = await StartHostAsync(cts.Token);

        Assert.Equal(js.PeerId, await host.ConnectAsync(js.Address, cts.Token));
        await CheckSessionAsync(host, js, cts.Token);
    }

    [Fact]
    public async Task JsDialsCSharp()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var js = await JsPeer.StartAsync(cts.Token);
        await using var host = await StartHostAsync(cts.Token);
        var inbound = new TaskCompletionSource<PeerConnectedEventArgs>();
        host.PeerConnected += (_, e) => inbound.TrySetResult(e);

        var dial = await js.CommandAsync(new { cmd = "dial", addr = host.ListenAddresses[0].ToString() }, cts.Token);
        Assert.Equal(host.PeerId.ToString(), dial["remotePeer"]!.GetValue<string>());
        var connected = await inbound.Task.WaitAsync(cts.Token);
        Assert.Equal(js.PeerId, connected.Peer);
        Assert.True(connected.Inbound);
        await CheckSessionAsync(host, js, cts.Token);
    }

    private static async Task<Libp2pHost> StartHostAsync(CancellationToken ct)
    {
        var host = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] },
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        host.SetStreamHandler(EchoProtocol.Id, EchoProtocol.HandleAsync);
        await host.StartAsync(ct);
        return host;
    }

    private static async Task CheckSessionAsync(Libp2pHost host, JsPeer js, CancellationToken ct)
    {
        // The js side reports noise + yamux on the connection.
        var connections = (await js.CommandAsync(new { cmd = "connections" }, ct))["connections"]!.AsArray();
        var connection = Assert.Single(connections)!;
        Assert.Equal("/noise", connection["encryption"]!.GetValue<string>());
        Assert.Equal("/yamux/1.0.0", connection["multiplexer"]!.GetValue<string>());

        // Identify, js → C#: what the js node told us.
        var info = await host.IdentifyAsync(js.PeerId, ct);
        Assert.Equal("peerz-interop-js", info.AgentVersion);
        Assert.Contains(EchoProtocol.Id, info.Protocols);
        Assert.Contains("/ipfs/ping/1.0.0", info.Protocols);
        Assert.Equal(js.PeerId, PeerId.FromPublicKey(info.PublicKey));
        Assert.Contains(info.ListenAddresses, a => a.Equals(js.Address.WithoutPeerId()));

        // Identify, C# → js: what js-libp2p decoded from our identify message.
        var theirView = await js.WaitForEventAsync("identify", e => e["peerId"]!.GetValue<string>() == host.PeerId.ToString(), ct);
        Assert.Equal("peerz/0.1.0", theirView["agentVersion"]!.GetValue<string>());
        Assert.Contains(EchoProtocol.Id, theirView["protocols"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal(Convert.ToHexStringLower(host.PeerId.TryGetPublicKey()!), theirView["publicKey"]!.GetValue<string>());

        // Ping both ways.
        Assert.True(await host.PingAsync(js.PeerId, ct) > TimeSpan.Zero);
        Assert.True((await js.CommandAsync(new { cmd = "ping", peer = host.PeerId.ToString() }, ct))["rtt"]!.GetValue<double>() >= 0);

        // Echo on many concurrent streams with MB messages, both directions at once.
        var jsEcho = js.CommandAsync(new { cmd = "echo", peer = host.PeerId.ToString(), streams = Streams, size = MessageSize }, ct);
        var ours = await Task.WhenAll(Enumerable.Range(0, Streams).Select(async _ =>
        {
            await using var stream = await host.OpenStreamAsync(js.PeerId, EchoProtocol.Id, ct);
            return await EchoProtocol.RoundTripAsync(stream, MessageSize, ct);
        }));
        Assert.All(ours, Assert.True);
        Assert.Equal(Streams * MessageSize, (await jsEcho)["bytes"]!.GetValue<int>());

        // An unknown protocol is refused with "na" by js-libp2p and the connection stays usable.
        await Assert.ThrowsAsync<ProtocolNotSupportedException>(() => host.OpenStreamAsync(js.PeerId, "/peerz/unknown/1.0.0", ct));
        Assert.True(await host.PingAsync(js.PeerId, ct) > TimeSpan.Zero);
    }
}
