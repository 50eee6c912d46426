using Microsoft.Extensions.Logging;
using Peerz.P2P.Kademlia.Routing;
using Peerz.P2P.Kademlia.Wire;
using static Peerz.P2P.Kademlia.Lookup.IterativeLookup;

namespace Peerz.P2P.Kademlia.Lookup;

/// <summary>One of the disjoint paths of an <see cref="IterativeLookup"/>.</summary>
internal sealed class LookupPath(
    SharedState state,
    int k,
    int alpha,
    Func<DhtPeerInfo, CancellationToken, Task<LookupResponse>> query,
    ILogger logger)
{
    private readonly Dictionary<KadKey, Candidate> _candidates = [];

    public IEnumerable<Candidate> Responded => _candidates.Values.Where(c => c.State == CandidateState.Responded);

    public void Offer(DhtPeerInfo peer, int depth)
    {
        var key = KadKey.FromKey(peer.Id);
        if (!_candidates.ContainsKey(key))
            _candidates[key] = new Candidate(peer, key, depth);
    }

    public async Task RunAsync(CancellationTokenSource stop)
    {
        var inFlight = new Dictionary<Task<LookupResponse>, Candidate>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var next in NextToQuery(alpha - inFlight.Count))
                {
                    Interlocked.Increment(ref state.Queries);
                    inFlight[QuerySafelyAsync(next, stop.Token)] = next;
                }
                if (inFlight.Count == 0)
                    return;
                var done = await Task.WhenAny(inFlight.Keys).ConfigureAwait(false);
                var candidate = inFlight[done];
                inFlight.Remove(done);
                if (done.IsCompletedSuccessfully)
                {
                    candidate.State = CandidateState.Responded;
                    foreach (var peer in done.Result.CloserPeers)
                        Offer(peer, candidate.Depth + 1);
                    if (done.Result.Stop)
                    {
                        state.Stop(candidate.Depth);
                        await stop.CancelAsync().ConfigureAwait(false);
                    }
                }
                else
                {
                    candidate.State = CandidateState.Failed;
                    Interlocked.Increment(ref state.Failures);
                }
            }
        }
        finally
        {
            // Queries still running after a stop are cancelled; wait so none outlives the lookup.
            await Task.WhenAll(inFlight.Keys.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        }
    }

    private async Task<LookupResponse> QuerySafelyAsync(Candidate candidate, CancellationToken ct)
    {
        try
        {
            return await query(candidate.Peer, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogDebug(e, "DHT lookup query to {Peer} failed: {Error}", Convert.ToHexString(candidate.Peer.Id), e.Message);
            throw;
        }
    }

    /// <summary>
    /// Unqueried candidates among the k closest that are still usable. When none remain and nothing is in
    /// flight, the k closest have all answered (or failed and been replaced by the next ones): the path ends.
    /// </summary>
    private List<Candidate> NextToQuery(int slots)
    {
        var result = new List<Candidate>();
        var skipped = true;
        // A candidate another path already claimed drops out, which lets the next one into the k closest.
        while (skipped && result.Count < slots)
        {
            skipped = false;
            var closestUsable = _candidates.Values
                .Where(c => c.State is not (CandidateState.Failed or CandidateState.TakenByOtherPath))
                .OrderBy(c => c.Key, Comparer<KadKey>.Create((a, b) => state.Target.CompareDistance(a, b)))
                .Take(k)
                .Where(c => c.State == CandidateState.New)
                .ToList();
            foreach (var candidate in closestUsable)
            {
                if (result.Count == slots)
                    break;
                if (state.Claim(candidate.Key))
                {
                    candidate.State = CandidateState.InFlight;
                    result.Add(candidate);
                }
                else
                {
                    candidate.State = CandidateState.TakenByOtherPath;
                    skipped = true;
                }
            }
        }
        return result;
    }
}
