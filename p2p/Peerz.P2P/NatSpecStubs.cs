// TEMPORARY (netlab branch only): the public API of SPEC-15 for the relay and natpunch branches, so the node and
// client wiring compiles before they land on main. Delete this file when merging main with those branches.
#pragma warning disable IDE0060, CA1822, CS9113, CS0067
namespace Peerz.P2P.Relay
{
    public sealed class CircuitRelayServiceOptions;

    public sealed class CircuitRelayService(Libp2pHost host, CircuitRelayServiceOptions options) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    public sealed class CircuitRelayClientOptions;

    public sealed record RelayLimit(uint? DurationSeconds, ulong? DataBytes);

    public sealed record RelayReservation(PeerId Relay, DateTimeOffset Expires, IReadOnlyList<Multiaddr> CircuitAddresses, RelayLimit? Limit);

    public sealed class CircuitRelayClient(Libp2pHost host, CircuitRelayClientOptions options) : IAsyncDisposable
    {
        public event EventHandler<RelayReservation>? ReservationLost { add { } remove { } }

        public IReadOnlyList<RelayReservation> Reservations => [];

        public Task<RelayReservation> ReserveAsync(PeerId relay, CancellationToken ct) => throw new NotSupportedException();

        public Task ReleaseAsync(PeerId relay) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    public sealed class AutoRelayOptions;

    public sealed class AutoRelay(Libp2pHost host, CircuitRelayClient client, Func<IEnumerable<PeerId>> candidates, AutoRelayOptions options) : IAsyncDisposable
    {
        public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

namespace Peerz.P2P.AutoNat
{
    public sealed class AutoNatServiceOptions;

    public sealed class AutoNatService(Libp2pHost host, AutoNatServiceOptions options) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    public sealed class AutoNatClientOptions;

    public sealed class AutoNatClient(Libp2pHost host, AutoNatClientOptions options) : IAsyncDisposable
    {
        public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

        public Task<Reachability> ProbeAsync(CancellationToken ct) => Task.FromResult(Reachability.Unknown);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

namespace Peerz.P2P.Dcutr
{
    public sealed class HolePuncherOptions;

    public sealed record HolePunchResult(PeerId Peer, bool Succeeded, int Attempts, Multiaddr? DirectAddress, string? Error);

    public sealed class HolePuncher(Libp2pHost host, HolePuncherOptions options) : IAsyncDisposable
    {
        public event EventHandler<HolePunchResult>? Completed { add { } remove { } }

        public Task<bool> TryUpgradeAsync(PeerId peer, CancellationToken ct) => Task.FromResult(false);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
