using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P.Dcutr;
using Peerz.P2P.Relay;
using Peerz.P2P.Tests.Infrastructure;
using Peerz.P2P.Tests.Relay;
using Peerz.Testing.Logging;
using Xunit.Abstractions;

namespace Peerz.P2P.Tests.Dcutr;

/// <summary>
/// DCUtR against js-libp2p (@libp2p/dcutr 3.0.28) both ways, over a real relayed connection through our circuit
/// relay: C# as B (received the relayed connection, starts CONNECT/SYNC) with js answering as A, and js as B with
/// our HolePuncher answering as A. Each ends with a direct connection on both sides, the circuit closed at the
/// relay, and echo streams over the direct connection.
/// Setup: loopback, no network namespace. js dcutr dials only addresses that are public or DNS
/// (isPublicAndDialable, dcutr/dist/src/utils.js: DNS is "probably public", private IPs such as 127.0.0.1 are
/// dropped, and no option changes that), so the C# side advertises /dns4/localhost/tcp/&lt;listen port&gt;, which its
/// CONNECT carries; js's own CONNECT carries 127.0.0.1, which ours accepts. Without a NAT the two dials do not
/// meet in one simultaneous open (js does not dial from its listen port), so the dial that completes is the one
/// that reaches a listener with the dialler as security initiator: A's.
/// </summary>
[Trait("Category", "JavaScript")]
public sealed class DcutrJsInteropTests(ITestOutputHelper output)
{
    private const string Script = "dcutr-node.mjs";
    private const int EchoSize = 256 * 1024;
    private static readonly HolePuncherOptions Options = new();

    [Fact]
    public async Task CSharpReceivesTheRelayedConnectionAndUpgradesWithJs()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(NullLoggerFactory.Instance, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        var (target, client, reservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = target;
        await using var __ = client;
        AdvertiseLocalhostName(target);
        await using var puncher = new HolePuncher(target, Options); // AutoUpgrade: starts on the inbound relayed connection
        var done = Completion(puncher);
        await using var js = await JsPeer.StartAsync(Script, [], cts.Token);
        var started = Stopwatch.StartNew();

        var dial = await js.CommandAsync(new { cmd = "dial", addr = reservation.CircuitAddresses[0].ToString() }, cts.Token);
        Assert.Contains("/p2p-circuit", dial["remoteAddr"]!.GetValue<string>());

        var result = await done.Task.WaitAsync(cts.Token);
        Assert.True(result.Succeeded, $"{result.Error}\n{string.Join('\n', logs.Lines)}");
        output.WriteLine($"C# (B) upgraded after {result.Attempts} attempt(s) in {started.ElapsedMilliseconds} ms, direct at {result.DirectAddress}");
        await AssertUpgradedAsync(target, js, relay, cts.Token);
    }

    [Fact]
    public async Task JsReceivesTheRelayedConnectionAndUpgradesWithCSharp()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(NullLoggerFactory.Instance, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        var relayAddress = relayHost.ListenAddresses[0];
        await using var js = await JsPeer.StartAsync(Script, [relayAddress.ToString()], cts.Token);
        var reserved = await js.WaitForEventAsync("reserved", _ => true, cts.Token);
        var circuit = Multiaddr.Parse(reserved["addrs"]!.AsArray().Select(a => a!.GetValue<string>())
            .First(a => a.StartsWith(relayAddress.ToString(), StringComparison.Ordinal)));

        await using var dialer = await RelayHosts.StartAsync(logs, cts.Token);
        await using var dialerClient = new CircuitRelayClient(dialer, new CircuitRelayClientOptions());
        AdvertiseLocalhostName(dialer);
        await using var puncher = new HolePuncher(dialer, Options);
        var done = Completion(puncher);
        var started = Stopwatch.StartNew();

        // js sees an inbound relayed connection from a peer that speaks /libp2p/dcutr (identify) and starts.
        Assert.Equal(js.PeerId, await dialer.ConnectAsync(circuit, cts.Token));

        var result = await done.Task.WaitAsync(cts.Token);
        Assert.True(result.Succeeded, $"{result.Error}\n{string.Join('\n', logs.Lines)}");
        output.WriteLine($"C# (A) upgraded after {result.Attempts} attempt(s) in {started.ElapsedMilliseconds} ms, direct at {result.DirectAddress}");
        await AssertUpgradedAsync(dialer, js, relay, cts.Token);
    }

    /// <summary>Both sides on a direct connection, the relayed one closed on both and at the relay, streams both ways.</summary>
    private static async Task AssertUpgradedAsync(Libp2pHost host, JsPeer js, CircuitRelayService relay, CancellationToken ct)
    {
        var peer = host.PeerId.ToString();
        await js.WaitForEventAsync("connection:open", e => Is(e, peer) && !e["limited"]!.GetValue<bool>(), ct);
        await js.WaitForEventAsync("connection:close", e => Is(e, peer) && e["remoteAddr"]!.GetValue<string>().Contains("/p2p-circuit", StringComparison.Ordinal), ct);
        Assert.False(host.GetConnectionAddress(js.PeerId)!.IsCircuit);
        Assert.False(host.GetConnection(js.PeerId)!.IsRelayed);
        var jsConnections = (await js.CommandAsync(new { cmd = "connections" }, ct))["connections"]!.AsArray()
            .Select(c => c!.AsObject()).Where(c => Is(c, peer)).ToList();
        Assert.NotEmpty(jsConnections);
        Assert.All(jsConnections, c => Assert.DoesNotContain("/p2p-circuit", c["remoteAddr"]!.GetValue<string>(), StringComparison.Ordinal));
        while (relay.CircuitCount != 0)
        {
            // The relay learns of the close when both halves of the circuit end; there is no event to wait on.
            await Task.Delay(50, ct);
        }

        await using (var stream = await host.OpenStreamAsync(js.PeerId, EchoProtocol.Id, ct))
        {
            Assert.True(await EchoProtocol.RoundTripAsync(stream, EchoSize, ct));
        }
        // js opens streams only on unlimited connections unless told otherwise, so this one is direct too.
        var echoed = await js.CommandAsync(new { cmd = "echo", peer = host.PeerId.ToString(), size = EchoSize }, ct);
        Assert.Equal(EchoSize, echoed["bytes"]!.GetValue<int>());
        Assert.Equal(0, relay.CircuitCount);
    }

    private static bool Is(JsonObject connection, string peer) => connection["remotePeer"]!.GetValue<string>() == peer;

    /// <summary>js dcutr dials DNS addresses but no private IP (see the class comment); localhost keeps it on loopback.</summary>
    private static void AdvertiseLocalhostName(Libp2pHost host) =>
        host.Addresses.AddAdvertised(Multiaddr.Parse($"/dns4/localhost/tcp/{host.ListenAddresses[0].GetTcpTarget().Port}"));

    private static TaskCompletionSource<HolePunchResult> Completion(HolePuncher puncher)
    {
        var done = new TaskCompletionSource<HolePunchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        puncher.Completed += (_, r) => done.TrySetResult(r);
        return done;
    }
}
