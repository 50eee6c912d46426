using Peerz.P2P.Kademlia.Wire;

namespace Peerz.P2P.Kademlia.Lookup;

/// <param name="ClosestPeers">Up to k peers that answered, closest to the target first.</param>
/// <param name="Hops">Length of the referral chain to the peer that ended the lookup (a seed is 1 hop).</param>
/// <param name="Queries">Requests sent.</param>
/// <param name="Failures">Requests that failed or timed out.</param>
/// <param name="Stopped">A response asked the lookup to stop early.</param>
public sealed record LookupResult(IReadOnlyList<DhtPeerInfo> ClosestPeers, int Hops, int Queries, int Failures, bool Stopped);
