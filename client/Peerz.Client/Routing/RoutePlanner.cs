using Peerz.Discovery;

namespace Peerz.Client.Routing;

/// <summary>
/// Chooses a chain of providers covering blocks [start, end) with the least expected latency per
/// decoding step: each hop costs its round-trip time plus compute at the advertised throughput.
/// A random factor on every hop's cost breaks ties and near-ties, so equal providers share the
/// load and no single provider sees every request.
/// </summary>
public sealed class RoutePlanner(Func<string, TimeSpan> roundTrip, Random random, double jitter = 0.2)
{
    public IReadOnlyList<RouteHop> Plan(IReadOnlyCollection<ProviderRecord> providers, string modelId, int start, int end, IReadOnlySet<string>? excluded = null)
    {
        var usable = providers
            .Where(p => p.ModelId == modelId && p.State == Protocol.Wire.ServerState.Online && p.End > start && p.Start < end)
            .Where(p => excluded is null || !excluded.Contains(p.PeerId))
            .Select(p => (Provider: p, Weight: 1 + jitter * random.NextDouble()))
            .ToList();

        // Shortest path over block boundaries: best[b] is the cheapest chain reaching boundary b.
        var best = new double[end - start + 1];
        var previous = new (int From, ProviderRecord? Provider)[end - start + 1];
        Array.Fill(best, double.PositiveInfinity);
        best[0] = 0;
        for (var at = start; at < end; at++)
        {
            if (double.IsPositiveInfinity(best[at - start])) continue;
            foreach (var (provider, weight) in usable.Where(u => u.Provider.Start <= at && u.Provider.End > at))
            {
                var hopCost = roundTrip(provider.PeerId).TotalSeconds;
                for (var to = at + 1; to <= Math.Min(provider.End, end); to++)
                {
                    var cost = best[at - start] + weight * (hopCost + (to - at) * provider.SecondsPerTokenPerBlock);
                    if (cost < best[to - start])
                    {
                        best[to - start] = cost;
                        previous[to - start] = (at, provider);
                    }
                }
            }
        }
        if (double.IsPositiveInfinity(best[^1]))
            throw new NoRouteException(modelId, start, end, MissingBlock(usable.Select(u => u.Provider), start, end));

        var hops = new List<RouteHop>();
        for (var to = end; to > start;)
        {
            var (from, provider) = previous[to - start];
            hops.Add(new RouteHop(provider!, from, to));
            to = from;
        }
        hops.Reverse();
        return hops;
    }

    private static int MissingBlock(IEnumerable<ProviderRecord> providers, int start, int end)
    {
        var list = providers.ToList();
        for (var block = start; block < end; block++)
            if (!list.Any(p => p.Start <= block && p.End > block)) return block;
        return start;
    }
}

public sealed class NoRouteException(string modelId, int start, int end, int missingBlock)
    : Exception($"no online provider serves block {missingBlock} of model '{modelId}' (needed blocks [{start}, {end}))")
{
    public int MissingBlock { get; } = missingBlock;
}
