namespace Peerz.P2P.Relay;

/// <summary>Protocol ids and wire bounds of circuit relay v2 (libp2p/specs relay/circuit-v2.md).</summary>
public static class CircuitRelayProtocol
{
    public const string Hop = "/libp2p/circuit/relay/0.2.0/hop";
    public const string Stop = "/libp2p/circuit/relay/0.2.0/stop";

    /// <summary>Largest hop or stop message either side reads (go-libp2p uses 4 KiB as well).</summary>
    public const int MaxMessageSize = 4096;

    /// <summary>Most addresses read from one message's peer or reservation; the rest are ignored.</summary>
    public const int MaxAddresses = 16;
}
