using Peerz.P2P.Relay;
using Peerz.P2P.Tests.Infrastructure;
using Peerz.Testing.Logging;

namespace Peerz.P2P.Tests.Relay;

/// <summary>A reservation is renewed before it expires, and reported lost when renewal fails.</summary>
public sealed class ReservationRenewalTests
{
    [Fact]
    public async Task ReservationIsRenewedBeforeItExpires()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions { ReservationTtl = TimeSpan.FromSeconds(3) });
        var (host, client, first) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = host;
        await using var __ = client;
        var lost = false;
        client.ReservationLost += (_, _) => lost = true;

        while (client.Reservations.Single().Expires <= first.Expires)
        {
            await Task.Delay(50, cts.Token);
        }

        Assert.False(lost);
        Assert.Equal(first.CircuitAddresses, client.Reservations.Single().CircuitAddresses);
        Assert.Equal(first.CircuitAddresses.Count, host.AdvertisedAddresses.Count(a => a.IsCircuit));
        Assert.Equal(1, relay.ReservationCount);
    }

    [Fact]
    public async Task ReservationThatCannotBeRenewedIsLost()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions { ReservationTtl = TimeSpan.FromSeconds(3) });
        var (host, client, reservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = host;
        await using var __ = client;
        var lost = new TaskCompletionSource<RelayReservation>();
        client.ReservationLost += (_, r) => lost.TrySetResult(r);

        await relay.DisposeAsync(); // the relay stops serving hop: renewals are refused

        Assert.Equal(reservation, await lost.Task.WaitAsync(cts.Token));
        Assert.Empty(client.Reservations);
        Assert.DoesNotContain(host.AdvertisedAddresses, a => a.IsCircuit);
        await logs.WaitForLineAsync("lost: renewal failed", TimeSpan.FromSeconds(5));
    }
}
