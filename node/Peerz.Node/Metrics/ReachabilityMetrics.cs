using Peerz.Hosting.Metrics;
using Peerz.Node.Swarm;
using Peerz.P2P;

namespace Peerz.Node.Metrics;

/// <summary>
/// Whether the provider is reachable (AutoNAT: one series per state, 1 for the current one), the relays it holds a
/// reservation on, and whether it relays for others; read from <see cref="NatTraversal"/> at scrape time.
/// </summary>
public sealed class ReachabilityMetrics(MetricsRegistry registry)
{
    private readonly Gauge _reachability = registry.Gauge("peerz_provider_reachability", "1 for the provider's reachability as AutoNAT found it (state = public, private, unknown), 0 for the others", "state");
    private readonly Gauge _reservations = registry.Gauge("peerz_provider_relay_reservations", "Relays holding a reservation for this provider (used while it is private)");
    private readonly Gauge _relaying = registry.Gauge("peerz_provider_relay_service", "1 while this provider relays for providers behind NATs");

    public void Track(NatTraversal nat)
    {
        foreach (var state in Enum.GetValues<Reachability>())
            _reachability.WithLabels(state.ToString().ToLowerInvariant()).SetFunction(() => nat.Reachability == state ? 1 : 0);
        _reservations.SetFunction(() => nat.Reservations.Count);
        _relaying.SetFunction(() => nat.IsRelaying ? 1 : 0);
    }
}
