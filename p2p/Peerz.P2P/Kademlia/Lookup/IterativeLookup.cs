using Microsoft.Extensions.Logging;
using Peerz.P2P.Kademlia.Routing;
using Peerz.P2P.Kademlia.Wire;

namespace Peerz.P2P.Kademlia.Lookup;

/// <summary>
/// Iterative Kademlia lookup (kad-dht spec, "Peer routing") over <c>d</c> disjoint paths (S/Kademlia §4.4,
/// as js-libp2p's kad-dht runs them). Seeds are dealt round-robin to the paths; a peer is queried by at most
/// one path, so one adversarial region cannot steer every path. Each path keeps up to alpha queries in
/// flight, always to its closest unqueried candidates, and ends when its k closest live candidates have
/// all answered. The lookup ends when every path has ended or a response asks it to stop.
/// </summary>
public sealed class IterativeLookup(int k, int alpha, int disjointPaths, ILogger logger)
{
    public async Task<LookupResult> RunAsync(
        byte[] targetKey,
        IReadOnlyList<DhtPeerInfo> seeds,
        byte[] localPeerId,
        Func<DhtPeerInfo, CancellationToken, Task<LookupResponse>> query,
        CancellationToken ct)
    {
        var state = new SharedState(KadKey.FromKey(targetKey), localPeerId);
        using var stopCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var paths = Enumerable.Range(0, Math.Max(1, Math.Min(disjointPaths, Math.Max(1, seeds.Count))))
            .Select(_ => new LookupPath(state, k, alpha, query, logger)).ToList();
        for (var i = 0; i < seeds.Count; i++)
            paths[i % paths.Count].Offer(seeds[i], depth: 1);
        await Task.WhenAll(paths.Select(p => p.RunAsync(stopCts))).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        var responded = paths.SelectMany(p => p.Responded).DistinctBy(c => c.Key).ToList();
        responded.Sort((a, b) => state.Target.CompareDistance(a.Key, b.Key));
        var closest = responded.Take(k).ToList();
        var hops = state.StopDepth ?? (closest.Count > 0 ? closest[0].Depth : 0);
        return new LookupResult(closest.Select(c => c.Peer).ToList(), hops, state.Queries, state.Failures, state.StopDepth is not null);
    }

    internal sealed class SharedState(KadKey target, byte[] localPeerId)
    {
        private readonly HashSet<KadKey> _claimed = [KadKey.FromKey(localPeerId)];
        private readonly Lock _lock = new();

        public KadKey Target { get; } = target;
        public int Queries;
        public int Failures;
        public int? StopDepth;

        /// <summary>Claims a peer for one path; false if another path (or this node itself) has it.</summary>
        public bool Claim(KadKey peer)
        {
            lock (_lock)
                return _claimed.Add(peer);
        }

        public void Stop(int depth)
        {
            lock (_lock)
                StopDepth ??= depth;
        }
    }

    internal sealed class Candidate(DhtPeerInfo peer, KadKey key, int depth)
    {
        public DhtPeerInfo Peer { get; } = peer;
        public KadKey Key { get; } = key;
        public int Depth { get; } = depth;
        public CandidateState State { get; set; }
    }

    internal enum CandidateState { New, InFlight, Responded, Failed, TakenByOtherPath }
}
