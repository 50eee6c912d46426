namespace Peerz.P2P;

/// <summary>Whether other peers can dial this host directly, as AutoNAT found out.</summary>
public enum Reachability
{
    /// <summary>Not yet tested (no AutoNAT server answered).</summary>
    Unknown,

    /// <summary>Peers dialled back one of our addresses: reachable directly.</summary>
    Public,

    /// <summary>Dial-backs failed: behind a NAT or firewall; reachable only through relays.</summary>
    Private,
}
