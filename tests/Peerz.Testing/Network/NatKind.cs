namespace Peerz.Testing.Network;

/// <summary>How a lab home router maps its hosts' connections to its public address.</summary>
public enum NatKind
{
    /// <summary>
    /// Port-preserving MASQUERADE: a connection from LAN port p leaves from public port p whatever the destination
    /// (endpoint-independent mapping), as most home routers do; hole punching can work through it.
    /// </summary>
    Cone,

    /// <summary>MASQUERADE --random-fully: every connection gets a random public port (endpoint-dependent, "symmetric"); hole punching fails.</summary>
    Symmetric,
}
