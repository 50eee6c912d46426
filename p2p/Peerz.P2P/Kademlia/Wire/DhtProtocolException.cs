namespace Peerz.P2P.Kademlia.Wire;

/// <summary>A peer sent a DHT message that violates the wire format or our limits.</summary>
public sealed class DhtProtocolException(string message) : Exception(message);
