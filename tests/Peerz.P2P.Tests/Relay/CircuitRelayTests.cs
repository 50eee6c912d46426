using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P.Relay;
using Peerz.P2P.Tests.Infrastructure;

namespace Peerz.P2P.Tests.Relay;

/// <summary>Circuit relay v2 between C# hosts on loopback: a relay, a private peer reserved on it, and a dialer.</summary>
public sealed class CircuitRelayTests
{
    private const int EchoSize = 1024 * 1024;

    [Fact]
    public async Task PeerReservedOnRelayIsDialledThroughItAndEchoesBothWays()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logs = NullLoggerFactory.Instance;
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        var (target, targetClient, reservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = target;
        await using var __ = targetClient;
        await using var dialer = await RelayHosts.StartAsync(logs, cts.Token);
        await using var dialerClient = new CircuitRelayClient(dialer, new CircuitRelayClientOptions());

        // The reservation: one circuit address per relay address, advertised by the reserved host.
        var circuit = Assert.Single(reservation.CircuitAddresses);
        Assert.Equal($"{relayHost.ListenAddresses[0]}/p2p-circuit/p2p/{target.PeerId}", circuit.ToString());
        Assert.Contains(circuit, target.AdvertisedAddresses);
        Assert.True(reservation.Expires > DateTimeOffset.UtcNow.AddMinutes(59));
        Assert.Equal(new RelayLimit(600, 256UL * 1024 * 1024), reservation.Limit);
        Assert.Equal(1, relay.ReservationCount);

        // Dial through the relay: noise authenticates the target; the connection is marked relayed on both sides.
        Assert.Equal(target.PeerId, await dialer.ConnectAsync(circuit, cts.Token));
        Assert.True(dialer.GetConnectionAddress(target.PeerId)!.IsCircuit);
        Assert.Equal(target.PeerId, dialer.GetConnectionAddress(target.PeerId)!.PeerId);
        Assert.Equal(relayHost.PeerId, dialer.GetConnectionAddress(target.PeerId)!.RelayPeerId);
        Assert.True(target.GetConnectionAddress(dialer.PeerId)!.IsCircuit);
        Assert.Equal(1, relay.CircuitCount);

        // Byte-exact echo in both directions over the relayed connection.
        await using (var stream = await dialer.OpenStreamAsync(target.PeerId, EchoProtocol.Id, cts.Token))
        {
            Assert.True(await EchoProtocol.RoundTripAsync(stream, EchoSize, cts.Token));
        }
        await using (var stream = await target.OpenStreamAsync(dialer.PeerId, EchoProtocol.Id, cts.Token))
        {
            Assert.True(await EchoProtocol.RoundTripAsync(stream, EchoSize, cts.Token));
        }
        Assert.True(await dialer.PingAsync(target.PeerId, cts.Token) > TimeSpan.Zero);

        // Closing the relayed connection ends the circuit at the relay.
        var closed = RelayHosts.DisconnectedAsync(target, dialer.PeerId);
        await dialer.DisconnectAsync(target.PeerId);
        await closed.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task ReleasedReservationWithdrawsItsAddresses()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = NullLoggerFactory.Instance;
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        var (target, client, reservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = target;
        await using var __ = client;
        Assert.Single(client.Reservations);

        await client.ReleaseAsync(relayHost.PeerId);

        Assert.Empty(client.Reservations);
        Assert.DoesNotContain(target.AdvertisedAddresses, a => a.IsCircuit);
    }

    [Fact]
    public async Task RelayDisconnectLosesTheReservation()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = NullLoggerFactory.Instance;
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        var (target, client, reservation) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var _ = target;
        await using var __ = client;
        var lost = new TaskCompletionSource<RelayReservation>();
        client.ReservationLost += (_, r) => lost.TrySetResult(r);

        await target.DisconnectAsync(relayHost.PeerId);

        Assert.Equal(reservation, await lost.Task.WaitAsync(cts.Token));
        Assert.Empty(client.Reservations);
        Assert.DoesNotContain(target.AdvertisedAddresses, a => a.IsCircuit);
    }
}
