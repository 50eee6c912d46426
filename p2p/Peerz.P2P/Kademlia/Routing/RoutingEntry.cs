namespace Peerz.P2P.Kademlia.Routing;

/// <summary>A peer in a k-bucket with the last time it proved alive.</summary>
public sealed record RoutingEntry(byte[] PeerId, KadKey Key, DateTimeOffset LastSeen);
