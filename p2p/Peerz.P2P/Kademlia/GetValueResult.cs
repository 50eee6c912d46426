using Peerz.P2P.Kademlia.Lookup;

namespace Peerz.P2P.Kademlia;

/// <summary>The best valid value found for a key, with the lookup that found it (null when served from the local store).</summary>
public sealed record GetValueResult(byte[]? Value, LookupResult? Lookup);
