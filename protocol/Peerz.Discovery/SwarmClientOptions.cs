using Peerz.P2P;
using Peerz.P2P.Dcutr;
using Peerz.P2P.Relay;

namespace Peerz.Discovery;

/// <summary>How a client joins the swarm and reaches providers behind NATs.</summary>
public sealed record SwarmClientOptions
{
    /// <summary>
    /// Where the client listens. Empty: it only dials out (providers behind NATs are then reached through relays, never
    /// directly). Hole punching (DCUtR) needs a listener, because both sides dial from their listen ports.
    /// </summary>
    public IReadOnlyList<Multiaddr> ListenAddresses { get; init; } = [];

    /// <summary>
    /// Added to a relayed provider's measured round trip when routing: the relay adds a hop and shares its uplink, so a
    /// direct provider of the same span wins ties (it must exceed the planner's jitter on a hop's cost).
    /// </summary>
    public TimeSpan RelayedHopPenalty { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long discovery waits for hole punching to finish with a provider first reached through a relay (only when
    /// listening), so sessions open on the connection that will last: a successful punch closes the relayed one.
    /// </summary>
    public TimeSpan HolePunchWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How many times discovery tries to reach a provider whose connection breaks while it is being reached (a relay or
    /// a NAT dropping the connection): each attempt after the first dials afresh, through another of its addresses when
    /// that one no longer answers. Timeouts are not retried (they would multiply the wait).
    /// </summary>
    public int ReachAttempts { get; init; } = 3;

    public CircuitRelayClientOptions RelayClientOptions { get; init; } = new();

    public HolePuncherOptions HolePuncherOptions { get; init; } = new();
}
