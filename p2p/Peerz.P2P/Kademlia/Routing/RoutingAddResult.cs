namespace Peerz.P2P.Kademlia.Routing;

/// <summary>Outcome of offering a peer to the routing table.</summary>
public enum RoutingAddOutcome
{
    Added,
    Refreshed,
    /// <summary>The bucket is full: the caller should check the least recently seen peer's liveness.</summary>
    BucketFull,
    Rejected,
}

/// <param name="Outcome">What happened.</param>
/// <param name="LeastRecentlySeen">For <see cref="RoutingAddOutcome.BucketFull"/>: the eviction candidate to ping.</param>
public readonly record struct RoutingAddResult(RoutingAddOutcome Outcome, RoutingEntry? LeastRecentlySeen = null);
