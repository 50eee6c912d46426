using Peerz.P2P.Relay;
using Peerz.P2P.Tests.Infrastructure;
using Peerz.Testing.Logging;

namespace Peerz.P2P.Tests.Relay;

/// <summary>AutoRelay keeps reservations on candidates that are relays while the host is private, and only then.</summary>
public sealed class AutoRelayTests
{
    [Fact]
    public async Task PrivateHostKeepsTwoReservationsOnRelayCandidatesAndReplacesALostOne()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = new RecordedLogs();
        var relays = new List<(Libp2pHost Host, CircuitRelayService Service)>();
        await using var notRelay = await RelayHosts.StartAsync(logs, cts.Token);
        await using var host = await RelayHosts.StartAsync(logs, cts.Token);
        await using var client = new CircuitRelayClient(host, new CircuitRelayClientOptions());
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
                relays.Add((relayHost, new CircuitRelayService(relayHost, new CircuitRelayServiceOptions())));
            }
            foreach (var peer in relays.Select(r => r.Host).Prepend(notRelay))
            {
                await host.ConnectAsync(peer.ListenAddresses[0], cts.Token);
            }
            PeerId[] candidates = [notRelay.PeerId, .. relays.Select(r => r.Host.PeerId)];
            host.Addresses.SetReachability(Reachability.Private);
            await using var autoRelay = new AutoRelay(host, client, () => candidates, new AutoRelayOptions { Reservations = 2 });

            await autoRelay.StartAsync(cts.Token);
            await UntilAsync(() => client.Reservations.Count == 2, cts.Token);

            var reserved = client.Reservations.Select(r => r.Relay).ToHashSet();
            Assert.DoesNotContain(notRelay.PeerId, reserved);
            Assert.Equal(2, host.AdvertisedAddresses.Count(a => a.IsCircuit));
            await logs.WaitForLineAsync($"relay candidate {notRelay.PeerId} skipped", TimeSpan.FromSeconds(5));

            // One relay goes away: its reservation is lost and the spare relay takes its place.
            var gone = relays.First(r => reserved.Contains(r.Host.PeerId));
            var spare = relays.First(r => !reserved.Contains(r.Host.PeerId));
            await gone.Service.DisposeAsync();
            await gone.Host.DisposeAsync();
            await UntilAsync(() => client.Reservations.Any(r => r.Relay == spare.Host.PeerId) && client.Reservations.Count == 2, cts.Token);
            Assert.DoesNotContain(host.AdvertisedAddresses, a => a.IsCircuit && a.RelayPeerId == gone.Host.PeerId);

            // Public now: no relay needed.
            host.Addresses.SetReachability(Reachability.Public);
            await UntilAsync(() => client.Reservations.Count == 0, cts.Token);
            Assert.DoesNotContain(host.AdvertisedAddresses, a => a.IsCircuit);
        }
        finally
        {
            foreach (var (relayHost, service) in relays)
            {
                await service.DisposeAsync();
                await relayHost.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task HostNotKnownToBePrivateReservesNothingUntilItIs()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        await using var host = await RelayHosts.StartAsync(logs, cts.Token);
        await using var client = new CircuitRelayClient(host, new CircuitRelayClientOptions());
        await host.ConnectAsync(relayHost.ListenAddresses[0], cts.Token);
        var asked = 0;
        await using var autoRelay = new AutoRelay(host, client, () =>
        {
            Interlocked.Increment(ref asked);
            return [relayHost.PeerId];
        }, new AutoRelayOptions { Reservations = 1 });

        await autoRelay.StartAsync(cts.Token);
        await logs.WaitForLineAsync("host is Unknown: no relay reservations needed", TimeSpan.FromSeconds(10));
        Assert.Equal(0, Volatile.Read(ref asked));
        Assert.Empty(client.Reservations);

        host.Addresses.SetReachability(Reachability.Private);
        await UntilAsync(() => client.Reservations.Count == 1, cts.Token);
        Assert.Equal(1, relay.ReservationCount);
        Assert.True(Volatile.Read(ref asked) > 0);
    }

    /// <summary>Waits for a condition the background loop brings about; bounded by the test's token.</summary>
    private static async Task UntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(20, ct);
        }
    }
}
