using Microsoft.Extensions.Logging;
using Peerz.P2P.Relay;
using Peerz.P2P.Tests.Infrastructure;

namespace Peerz.P2P.Tests.Relay;

/// <summary>Loopback hosts for the relay tests: each serves the echo protocol and may run a relay client.</summary>
internal static class RelayHosts
{
    public static async Task<Libp2pHost> StartAsync(ILoggerFactory logs, CancellationToken ct)
    {
        var host = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, logs);
        host.SetStreamHandler(EchoProtocol.Id, EchoProtocol.HandleAsync);
        await host.StartAsync(ct);
        return host;
    }

    /// <summary>A host connected to the relay, holding a reservation there.</summary>
    public static async Task<(Libp2pHost Host, CircuitRelayClient Client, RelayReservation Reservation)> StartReservedAsync(
        Libp2pHost relay, ILoggerFactory logs, CancellationToken ct)
    {
        var host = await StartAsync(logs, ct);
        var client = new CircuitRelayClient(host, new CircuitRelayClientOptions());
        await host.ConnectAsync(relay.ListenAddresses[0], ct);
        return (host, client, await client.ReserveAsync(relay.PeerId, ct));
    }

    /// <summary>Completes when the host's connection to <paramref name="peer"/> closes.</summary>
    public static Task DisconnectedAsync(Libp2pHost host, PeerId peer)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.PeerDisconnected += (_, e) =>
        {
            if (e.Peer == peer && !host.IsConnected(peer))
            {
                closed.TrySetResult();
            }
        };
        if (!host.IsConnected(peer))
        {
            closed.TrySetResult();
        }
        return closed.Task;
    }
}
