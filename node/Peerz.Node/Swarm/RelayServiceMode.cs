namespace Peerz.Node.Swarm;

/// <summary>Whether a provider relays for providers behind NATs (circuit relay v2 hop).</summary>
public enum RelayServiceMode
{
    /// <summary>Relay while AutoNAT says this provider is publicly reachable (a relay behind a NAT helps nobody).</summary>
    Auto,

    /// <summary>Always relay (e.g. a public node whose AutoNAT servers are not up yet).</summary>
    On,

    /// <summary>Never relay.</summary>
    Off,
}
