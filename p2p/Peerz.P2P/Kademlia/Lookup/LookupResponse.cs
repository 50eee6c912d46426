using Peerz.P2P.Kademlia.Wire;

namespace Peerz.P2P.Kademlia.Lookup;

/// <summary>What one queried peer told a lookup: closer peers, and whether the lookup has what it wants.</summary>
public sealed record LookupResponse(IReadOnlyList<DhtPeerInfo> CloserPeers, bool Stop = false);
