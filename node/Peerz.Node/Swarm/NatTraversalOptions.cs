using Peerz.P2P;
using Peerz.P2P.AutoNat;
using Peerz.P2P.Dcutr;
using Peerz.P2P.Relay;

namespace Peerz.Node.Swarm;

/// <summary>How a provider finds out whether it is reachable, and stays reachable when it is not (AutoNAT, relays, hole punching).</summary>
public sealed record NatTraversalOptions
{
    public RelayServiceMode RelayService { get; init; } = RelayServiceMode.Auto;

    /// <summary>
    /// Addresses to announce besides the listen addresses, e.g. the router's public address and forwarded port
    /// (--announce-address); announced as given, whatever AutoNAT finds.
    /// </summary>
    public IReadOnlyList<Multiaddr> AnnounceAddresses { get; init; } = [];

    /// <summary>How often to compare the advertised addresses with the announced ones (relay reservations come and go).</summary>
    public TimeSpan AddressCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    public CircuitRelayServiceOptions RelayServiceOptions { get; init; } = new();

    public CircuitRelayClientOptions RelayClientOptions { get; init; } = new();

    public AutoRelayOptions AutoRelayOptions { get; init; } = new();

    public AutoNatServiceOptions AutoNatServiceOptions { get; init; } = new();

    public AutoNatClientOptions AutoNatClientOptions { get; init; } = new();

    public HolePuncherOptions HolePuncherOptions { get; init; } = new();
}
