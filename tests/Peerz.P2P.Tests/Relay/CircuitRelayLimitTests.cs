using Peerz.P2P.Relay;
using Peerz.P2P.Tests.Infrastructure;
using Peerz.Testing.Logging;

namespace Peerz.P2P.Tests.Relay;

/// <summary>The relay's limits, each enforced with the right status or by resetting the circuit, and logged.</summary>
public sealed class CircuitRelayLimitTests
{
    [Fact]
    public async Task ConnectToPeerWithoutReservationGetsNoReservation()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        await using var target = await RelayHosts.StartAsync(logs, cts.Token);
        await target.ConnectAsync(relayHost.ListenAddresses[0], cts.Token); // connected, but no reservation
        await using var dialer = await RelayHosts.StartAsync(logs, cts.Token);
        await using var client = new CircuitRelayClient(dialer, new CircuitRelayClientOptions());

        var refused = await Assert.ThrowsAsync<CircuitRelayException>(() =>
            dialer.ConnectAsync(relayHost.ListenAddresses[0].WithCircuitTo(target.PeerId), cts.Token));

        Assert.Equal(RelayStatus.NoReservation, refused.Status);
        Assert.False(dialer.IsConnected(target.PeerId));
        await logs.WaitForLineAsync("refused with NoReservation", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ReservationFloodFromOneIpIsRefusedAfterTheLimit()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions { MaxReservationsPerIp = 3 });
        var peers = new List<Libp2pHost>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var (host, _, _) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
                peers.Add(host);
            }
            var flooder = await RelayHosts.StartAsync(logs, cts.Token);
            peers.Add(flooder);
            await using var client = new CircuitRelayClient(flooder, new CircuitRelayClientOptions());
            await flooder.ConnectAsync(relayHost.ListenAddresses[0], cts.Token);

            var refused = await Assert.ThrowsAsync<CircuitRelayException>(() => client.ReserveAsync(relayHost.PeerId, cts.Token));

            Assert.Equal(RelayStatus.ReservationRefused, refused.Status);
            Assert.Equal(3, relay.ReservationCount);
            Assert.Empty(client.Reservations);
            Assert.DoesNotContain(flooder.AdvertisedAddresses, a => a.IsCircuit);
            await logs.WaitForLineAsync("reservation limit 3 for 127.0.0.1 reached", TimeSpan.FromSeconds(5));
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ReservationsBeyondTheTotalAreRefusedButRenewalsAreNot()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions { MaxReservations = 1 });
        var (first, firstClient, reservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = first;
        await using var __ = firstClient;
        await using var second = await RelayHosts.StartAsync(logs, cts.Token);
        await using var secondClient = new CircuitRelayClient(second, new CircuitRelayClientOptions());
        await second.ConnectAsync(relayHost.ListenAddresses[0], cts.Token);

        var refused = await Assert.ThrowsAsync<CircuitRelayException>(() => secondClient.ReserveAsync(relayHost.PeerId, cts.Token));
        var renewed = await firstClient.ReserveAsync(relayHost.PeerId, cts.Token);

        Assert.Equal(RelayStatus.ReservationRefused, refused.Status);
        Assert.True(renewed.Expires >= reservation.Expires);
        Assert.Equal(reservation.CircuitAddresses, renewed.CircuitAddresses);
        Assert.Single(firstClient.Reservations);
        Assert.Equal(1, relay.ReservationCount);
    }

    [Fact]
    public async Task DataLimitResetsTheCircuit()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions { CircuitDataLimit = 64 * 1024 });
        var (target, targetClient, reservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = target;
        await using var __ = targetClient;
        await using var dialer = await RelayHosts.StartAsync(logs, cts.Token);
        await using var dialerClient = new CircuitRelayClient(dialer, new CircuitRelayClientOptions());
        Assert.Equal(new RelayLimit(600, 64 * 1024), reservation.Limit);
        await dialer.ConnectAsync(reservation.CircuitAddresses[0], cts.Token);
        var closed = RelayHosts.DisconnectedAsync(dialer, target.PeerId);

        // Small exchanges fit; a megabyte does not.
        await using (var small = await dialer.OpenStreamAsync(target.PeerId, EchoProtocol.Id, cts.Token))
        {
            Assert.True(await EchoProtocol.RoundTripAsync(small, 1024, cts.Token));
        }
        await using var large = await dialer.OpenStreamAsync(target.PeerId, EchoProtocol.Id, cts.Token);
        await Assert.ThrowsAnyAsync<Exception>(() => EchoProtocol.RoundTripAsync(large, 1024 * 1024, cts.Token));

        await closed.WaitAsync(cts.Token);
        await logs.WaitForLineAsync("data limit of 65536 bytes", TimeSpan.FromSeconds(5));
        Assert.Equal(0, relay.CircuitCount);
    }

    [Fact]
    public async Task DurationLimitResetsTheCircuit()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions { CircuitDuration = TimeSpan.FromSeconds(1) });
        var (target, targetClient, reservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = target;
        await using var __ = targetClient;
        await using var dialer = await RelayHosts.StartAsync(logs, cts.Token);
        await using var dialerClient = new CircuitRelayClient(dialer, new CircuitRelayClientOptions());
        Assert.Equal(1u, reservation.Limit!.DurationSeconds);

        await dialer.ConnectAsync(reservation.CircuitAddresses[0], cts.Token);
        await RelayHosts.DisconnectedAsync(dialer, target.PeerId).WaitAsync(cts.Token);

        await logs.WaitForLineAsync("reset: duration limit", TimeSpan.FromSeconds(5));
        Assert.True(relayHost.IsConnected(target.PeerId)); // only the circuit ended, not the reservation
        Assert.Equal(1, relay.ReservationCount);
    }

    [Fact]
    public async Task CircuitsPerPeerAreLimited()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions { MaxCircuitsPerPeer = 1 });
        var (target, targetClient, reservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = target;
        await using var __ = targetClient;
        await using var first = await RelayHosts.StartAsync(logs, cts.Token);
        await using var firstClient = new CircuitRelayClient(first, new CircuitRelayClientOptions());
        await using var second = await RelayHosts.StartAsync(logs, cts.Token);
        await using var secondClient = new CircuitRelayClient(second, new CircuitRelayClientOptions());

        Assert.Equal(target.PeerId, await first.ConnectAsync(reservation.CircuitAddresses[0], cts.Token));
        var refused = await Assert.ThrowsAsync<CircuitRelayException>(() => second.ConnectAsync(reservation.CircuitAddresses[0], cts.Token));

        Assert.Equal(RelayStatus.ResourceLimitExceeded, refused.Status);
        Assert.Equal(1, relay.CircuitCount);
        await logs.WaitForLineAsync($"circuit limit 1 for {target.PeerId} reached", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task CircuitsInTotalAreLimited()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions { MaxCircuits = 1 });
        var (a, aClient, aReservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = a;
        await using var __ = aClient;
        var (b, bClient, bReservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var ___ = b;
        await using var ____ = bClient;
        await using var dialer = await RelayHosts.StartAsync(logs, cts.Token);
        await using var dialerClient = new CircuitRelayClient(dialer, new CircuitRelayClientOptions());

        await dialer.ConnectAsync(aReservation.CircuitAddresses[0], cts.Token);
        var refused = await Assert.ThrowsAsync<CircuitRelayException>(() => dialer.ConnectAsync(bReservation.CircuitAddresses[0], cts.Token));

        Assert.Equal(RelayStatus.ResourceLimitExceeded, refused.Status);
        await logs.WaitForLineAsync("circuit limit 1 reached", TimeSpan.FromSeconds(5));
    }
}
