using System.Net;
using System.Net.Sockets;
using Peerz.P2P.AutoNat;
using Peerz.P2P.Encoding;
using Peerz.P2P.Tests.Infrastructure;
using Peerz.Testing.Logging;

namespace Peerz.P2P.Tests.AutoNat;

/// <summary>AutoNAT v1 between C# hosts on loopback, against hostile requests, and against js-libp2p's server.</summary>
[Trait("Category", "JavaScript")]
public sealed class AutoNatTests
{
    private static readonly Multiaddr Loopback = Multiaddr.Parse("/ip4/127.0.0.1/tcp/0");

    [Fact]
    public async Task ClientReachableOnLoopbackBecomesPublic()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var serverLog = new RecordedLogs();
        await using var server = await StartHostAsync(serverLog, listen: true, cts.Token);
        await using var service = new AutoNatService(server, new AutoNatServiceOptions());
        await using var client = await StartHostAsync(new RecordedLogs(), listen: true, cts.Token);
        await ConnectAndIdentifyAsync(client, server, cts.Token);
        var changes = new List<Reachability>();
        client.ReachabilityChanged += (_, r) => changes.Add(r);

        await using var autoNat = new AutoNatClient(client, new AutoNatClientOptions());
        Assert.Equal(Reachability.Public, await autoNat.ProbeAsync(cts.Token));

        Assert.Equal(Reachability.Public, client.Reachability);
        Assert.Equal([Reachability.Public], changes);
        await serverLog.WaitForLineAsync($"dialled {client.PeerId} back at /ip4/127.0.0.1/tcp/", TimeSpan.FromSeconds(5));
        // The dial-back was a separate connection: the one the client asked on still serves it.
        Assert.True(await client.PingAsync(server.PeerId, cts.Token) > TimeSpan.Zero);
        Assert.False(server.GetConnectionAddress(client.PeerId)!.IsCircuit);
    }

    [Fact]
    public async Task ClientNobodyCanDialBecomesPrivate()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var serverA = await StartHostAsync(new RecordedLogs(), listen: true, cts.Token);
        await using var serverB = await StartHostAsync(new RecordedLogs(), listen: true, cts.Token);
        await using var serviceA = new AutoNatService(serverA, new AutoNatServiceOptions());
        await using var serviceB = new AutoNatService(serverB, new AutoNatServiceOptions());
        // The client does not listen; it claims a loopback port nobody listens on (as a host behind a NAT
        // whose mapping drops unsolicited connections would).
        var clientLog = new RecordedLogs();
        await using var client = await StartHostAsync(clientLog, listen: false, cts.Token);
        client.Addresses.AddAdvertised(Multiaddr.Parse($"/ip4/127.0.0.1/tcp/{DeadPort()}"));
        await ConnectAndIdentifyAsync(client, serverA, cts.Token);
        await ConnectAndIdentifyAsync(client, serverB, cts.Token);

        await using var autoNat = new AutoNatClient(client, new AutoNatClientOptions());
        Assert.Equal(Reachability.Private, await autoNat.ProbeAsync(cts.Token));
        Assert.Equal(Reachability.Private, client.Reachability);
        Assert.Empty(autoNat.ConfirmedAddresses);
        await clientLog.WaitForLineAsync("reachability Unknown -> Private", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ServerRefusesForeignAddressesMismatchedPeersGarbageAndOversizedRequests()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var serverLog = new RecordedLogs();
        await using var server = await StartHostAsync(serverLog, listen: true, cts.Token);
        await using var service = new AutoNatService(server, new AutoNatServiceOptions());
        await using var client = await StartHostAsync(new RecordedLogs(), listen: true, cts.Token);
        await client.ConnectAsync(server.ListenAddresses[0], cts.Token);

        // A third party's address: never dialled (no amplification against others).
        var foreign = await AskAsync(client, server.PeerId, AutoNatMessage.Request(client.PeerId, [Multiaddr.Parse("/ip4/8.8.8.8/tcp/4001")]).Encode(), cts.Token);
        Assert.Equal(AutoNatResponseStatus.DialRefused, foreign.Status);
        await serverLog.WaitForLineAsync("refused request", TimeSpan.FromSeconds(5));

        // A request naming another peer.
        var other = await AskAsync(client, server.PeerId, AutoNatMessage.Request(Identity.Generate().PeerId, client.ListenAddresses).Encode(), cts.Token);
        Assert.Equal(AutoNatResponseStatus.BadRequest, other.Status);

        // Garbage addresses only.
        var garbage = new AutoNatMessage(AutoNatMessageType.Dial, new AutoNatDialRequest(client.PeerId.ToBytes(), [[0xff, 0xff, 0xff], new byte[2000]]));
        Assert.Equal(AutoNatResponseStatus.DialRefused, (await AskAsync(client, server.PeerId, garbage.Encode(), cts.Token)).Status);

        // Not protobuf at all, and a message beyond the size limit.
        Assert.Equal(AutoNatResponseStatus.BadRequest, (await AskAsync(client, server.PeerId, [0x0a, 0xff, 0xff, 0xff, 0x0f], cts.Token)).Status);
        Assert.Equal(AutoNatResponseStatus.BadRequest, (await AskAsync(client, server.PeerId, new byte[64 * 1024], cts.Token)).Status);
        await serverLog.WaitForLineAsync("exceeds the limit", TimeSpan.FromSeconds(5));

        // The host still serves the peer.
        Assert.True(await client.PingAsync(server.PeerId, cts.Token) > TimeSpan.Zero);
    }

    [Fact]
    public async Task ServerRateLimitsARequestFlood()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var serverLog = new RecordedLogs();
        await using var server = await StartHostAsync(serverLog, listen: true, cts.Token);
        await using var service = new AutoNatService(server, new AutoNatServiceOptions { MaxRequestsPerPeer = 3, RateLimitInterval = TimeSpan.FromHours(1) });
        await using var client = await StartHostAsync(new RecordedLogs(), listen: true, cts.Token);
        await client.ConnectAsync(server.ListenAddresses[0], cts.Token);

        var request = AutoNatMessage.Request(client.PeerId, client.ListenAddresses).Encode();
        var answers = new List<AutoNatResponseStatus>();
        for (var i = 0; i < 10; i++)
        {
            answers.Add((await AskAsync(client, server.PeerId, request, cts.Token)).Status);
        }
        Assert.Equal([.. Enumerable.Repeat(AutoNatResponseStatus.Ok, 3), .. Enumerable.Repeat(AutoNatResponseStatus.DialRefused, 7)], answers);
        await serverLog.WaitForLineAsync("rate limited", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task JsAutoNatServerAnswersOurRequest()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var js = await JsPeer.StartAsync("autonat-server.mjs", [], cts.Token);
        await using var client = await StartHostAsync(new RecordedLogs(), listen: true, cts.Token);
        await ConnectAndIdentifyAsync(client, js.Address, cts.Token);
        Assert.Contains(AutoNatMessage.ProtocolId, client.GetIdentifyInfo(js.PeerId)!.Protocols);

        // js-libp2p by design never dials back private (here: loopback) addresses nor its own host's IP, so on
        // loopback the exchange ends in a well-formed refusal; our client learns nothing from it.
        var answer = await AskAsync(client, js.PeerId, AutoNatMessage.Request(client.PeerId, client.ListenAddresses).Encode(), cts.Token);
        Assert.Equal(AutoNatResponseStatus.DialRefused, answer.Status);
        Assert.Equal("no dialable addresses", answer.StatusText);

        await using var autoNat = new AutoNatClient(client, new AutoNatClientOptions());
        Assert.Equal(Reachability.Unknown, await autoNat.ProbeAsync(cts.Token));
    }

    private static async Task<Libp2pHost> StartHostAsync(RecordedLogs log, bool listen, CancellationToken ct)
    {
        var host = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = listen ? [Loopback] : [] }, log);
        await host.StartAsync(ct);
        return host;
    }

    private static Task ConnectAndIdentifyAsync(Libp2pHost client, Libp2pHost server, CancellationToken ct) =>
        ConnectAndIdentifyAsync(client, server.ListenAddresses[0], ct);

    private static async Task ConnectAndIdentifyAsync(Libp2pHost client, Multiaddr server, CancellationToken ct)
    {
        var peer = await client.ConnectAsync(server, ct);
        await client.IdentifyAsync(peer, ct);
    }

    private static async Task<AutoNatDialResponse> AskAsync(Libp2pHost client, PeerId server, byte[] request, CancellationToken ct)
    {
        await using var stream = await client.OpenStreamAsync(server, AutoNatMessage.ProtocolId, ct);
        await LengthPrefixed.WriteAsync(stream, request, ct);
        var answer = AutoNatMessage.Decode(await LengthPrefixed.ReadAsync(stream, 8192, ct));
        Assert.Equal(AutoNatMessageType.DialResponse, answer.Type);
        return answer.DialResponse!;
    }

    /// <summary>A loopback port that was free a moment ago and has no listener.</summary>
    private static int DeadPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
