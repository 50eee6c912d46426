using System.Diagnostics.Metrics;
using Peerz.Hosting.Metrics;
using Peerz.Node.Swarm;
using Peerz.P2P;

namespace Peerz.Node.Metrics;

/// <summary>
/// Whether the provider is reachable (AutoNAT: one series per state, 1 for the current one), the relays it holds a
/// reservation on, and whether it relays for others; read from <see cref="NatTraversal"/> at scrape time.
/// </summary>
public sealed class ReachabilityMetrics
{
    private volatile NatTraversal? _nat;

    public ReachabilityMetrics(PeerzMeters meters)
    {
        var meter = meters.Create("Reachability");
        // No series until the provider tracks its NAT traversal: before that its reachability is not known at all.
        meter.CreateObservableGauge("peerz_provider_reachability", ReadReachability,
            description: "1 for the provider's reachability as AutoNAT found it (state = public, private, unknown), 0 for the others");
        meter.CreateObservableGauge("peerz_provider_relay_reservations", () => (double)(_nat?.Reservations.Count ?? 0),
            description: "Relays holding a reservation for this provider (used while it is private)");
        meter.CreateObservableGauge("peerz_provider_relay_service", () => _nat?.IsRelaying == true ? 1.0 : 0.0, description: "1 while this provider relays for providers behind NATs");
    }

    public void Track(NatTraversal nat) => _nat = nat;

    private IEnumerable<Measurement<double>> ReadReachability()
    {
        if (_nat is not { } nat) return [];
        var current = nat.Reachability;
        return Enum.GetValues<Reachability>().Select(state =>
            new Measurement<double>(state == current ? 1 : 0, new KeyValuePair<string, object?>("state", state.ToString().ToLowerInvariant())));
    }
}
