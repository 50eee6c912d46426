using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P.Relay;
using Peerz.P2P.Tests.Infrastructure;

namespace Peerz.P2P.Tests.Relay;

/// <summary>
/// Circuit relay v2 against js-libp2p (@libp2p/circuit-relay-v2 4.2.13) both ways: a C# peer reserved on a js
/// relay and dialled by a js peer (then by a C# peer), and a js peer reserved on a C# relay and dialled by a C#
/// peer (then by a js peer); so each side's reservation, stop, hop-client and hop-server code meets the other's.
/// </summary>
[Trait("Category", "JavaScript")]
public sealed class CircuitRelayJsInteropTests
{
    private const string Script = "relay-node.mjs";
    private const int EchoSize = 512 * 1024;

    [Fact]
    public async Task JsPeerDialsCSharpPeerThroughJsRelay()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var jsRelay = await JsPeer.StartAsync(Script, ["relay"], cts.Token);
        await using var jsDialer = await JsPeer.StartAsync(Script, ["peer"], cts.Token);
        var (target, client, reservation) = await ReserveOnAsync(jsRelay, cts.Token);
        await using var _ = target;
        await using var __ = client;

        var circuit = reservation.CircuitAddresses.First(a => a.RelayAddress.ToString().StartsWith("/ip4/127.0.0.1/", StringComparison.Ordinal));
        Assert.Equal(jsRelay.PeerId, circuit.RelayPeerId);
        Assert.Equal(target.PeerId, circuit.PeerId);

        var dial = await jsDialer.CommandAsync(new { cmd = "dial", addr = circuit.ToString() }, cts.Token);
        Assert.Equal(target.PeerId.ToString(), dial["remotePeer"]!.GetValue<string>());
        Assert.Contains("/p2p-circuit", dial["remoteAddr"]!.GetValue<string>());

        // js -> C# echo over the relayed connection, then C# -> js on the same connection.
        var echoed = await jsDialer.CommandAsync(new { cmd = "echo", peer = target.PeerId.ToString(), size = EchoSize }, cts.Token);
        Assert.Equal(EchoSize, echoed["bytes"]!.GetValue<int>());
        Assert.True(target.GetConnectionAddress(jsDialer.PeerId)!.IsCircuit);
        await using (var stream = await target.OpenStreamAsync(jsDialer.PeerId, EchoProtocol.Id, cts.Token))
        {
            Assert.True(await EchoProtocol.RoundTripAsync(stream, EchoSize, cts.Token));
        }

        // Our hop client against the js relay: a C# dialer reaches the same C# peer through it.
        await using var dialer = await RelayHosts.StartAsync(NullLoggerFactory.Instance, cts.Token);
        await using var dialerClient = new CircuitRelayClient(dialer, new CircuitRelayClientOptions());
        Assert.Equal(target.PeerId, await dialer.ConnectAsync(circuit, cts.Token));
        Assert.True(dialer.GetConnectionAddress(target.PeerId)!.IsCircuit);
        await using (var stream = await dialer.OpenStreamAsync(target.PeerId, EchoProtocol.Id, cts.Token))
        {
            Assert.True(await EchoProtocol.RoundTripAsync(stream, EchoSize, cts.Token));
        }
    }

    [Fact]
    public async Task CSharpPeerDialsJsPeerThroughCSharpRelay()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var logs = NullLoggerFactory.Instance;
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        var relayAddress = relayHost.ListenAddresses[0];
        await using var jsTarget = await JsPeer.StartAsync(Script, ["peer", relayAddress.ToString()], cts.Token);
        var reserved = await jsTarget.WaitForEventAsync("reserved", _ => true, cts.Token);
        var circuit = Multiaddr.Parse(reserved["addrs"]!.AsArray().Select(a => a!.GetValue<string>())
            .First(a => a.StartsWith(relayAddress.ToString(), StringComparison.Ordinal)));
        Assert.Equal(1, relay.ReservationCount);
        Assert.Equal(relayHost.PeerId, circuit.RelayPeerId);

        await using var dialer = await RelayHosts.StartAsync(logs, cts.Token);
        await using var dialerClient = new CircuitRelayClient(dialer, new CircuitRelayClientOptions());
        Assert.Equal(jsTarget.PeerId, await dialer.ConnectAsync(circuit, cts.Token));
        Assert.True(dialer.GetConnectionAddress(jsTarget.PeerId)!.IsCircuit);

        // C# -> js echo, then js -> C# on the same relayed connection.
        await using (var stream = await dialer.OpenStreamAsync(jsTarget.PeerId, EchoProtocol.Id, cts.Token))
        {
            Assert.True(await EchoProtocol.RoundTripAsync(stream, EchoSize, cts.Token));
        }
        var echoed = await jsTarget.CommandAsync(new { cmd = "echo", peer = dialer.PeerId.ToString(), size = EchoSize }, cts.Token);
        Assert.Equal(EchoSize, echoed["bytes"]!.GetValue<int>());
        Assert.Equal(1, relay.CircuitCount);

        // The js hop client against our relay: a js dialer reaches the same js peer through it.
        await using var jsDialer = await JsPeer.StartAsync(Script, ["peer"], cts.Token);
        var dial = await jsDialer.CommandAsync(new { cmd = "dial", addr = circuit.ToString() }, cts.Token);
        Assert.Equal(jsTarget.PeerId.ToString(), dial["remotePeer"]!.GetValue<string>());
        Assert.True(dial["limited"]!.GetValue<bool>()); // our relay states its limits; js applies them to the connection
        var jsEchoed = await jsDialer.CommandAsync(new { cmd = "echo", peer = jsTarget.PeerId.ToString(), size = EchoSize }, cts.Token);
        Assert.Equal(EchoSize, jsEchoed["bytes"]!.GetValue<int>());
        Assert.Equal(2, relay.CircuitCount);
    }

    private static async Task<(Libp2pHost Host, CircuitRelayClient Client, RelayReservation Reservation)> ReserveOnAsync(JsPeer jsRelay, CancellationToken ct)
    {
        var host = await RelayHosts.StartAsync(NullLoggerFactory.Instance, ct);
        var client = new CircuitRelayClient(host, new CircuitRelayClientOptions());
        await host.ConnectAsync(jsRelay.Address, ct);
        return (host, client, await client.ReserveAsync(jsRelay.PeerId, ct));
    }
}
