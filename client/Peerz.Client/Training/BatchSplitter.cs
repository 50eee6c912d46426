using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Peerz.Client.Routing;
using Peerz.Discovery;

namespace Peerz.Client.Training;

/// <summary>
/// Splits a batch's rows across every provider that serves a hop's blocks and runs the shares
/// concurrently (Petals' load split for training). A provider that fails is marked failed and its
/// share is retried on the next provider serving the same blocks; results come back in row order.
/// </summary>
internal sealed class BatchSplitter(ConcurrentDictionary<string, byte> failed, Random random, int maxProvidersPerHop, ILogger logger)
{
    public event Action<TrainingShare>? ShareServed;

    /// <summary>Row ranges: <paramref name="rows"/> split as evenly as possible into <paramref name="parts"/> contiguous shares.</summary>
    public static IReadOnlyList<(int First, int Rows)> SplitRows(int rows, int parts)
    {
        parts = Math.Clamp(parts, 1, Math.Max(rows, 1));
        var shares = new List<(int, int)>(parts);
        for (int i = 0, first = 0; i < parts; i++)
        {
            var size = rows / parts + (i < rows % parts ? 1 : 0);
            shares.Add((first, size));
            first += size;
        }
        return shares;
    }

    public async Task<T[]> RunAsync<T>(string direction, RouteHop hop, IReadOnlyList<ProviderRecord> providers, int rows,
        Func<ProviderRecord, int, int, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        where T : IDisposable
    {
        var candidates = Candidates(hop, providers);
        var shares = SplitRows(rows, Math.Min(candidates.Count, maxProvidersPerHop));
        var tasks = shares.Select((share, index) => RunShareAsync(direction, hop, candidates, index, share.First, share.Rows, call, cancellationToken)).ToArray();
        try
        {
            return await Task.WhenAll(tasks);
        }
        catch
        {
            // One share failed for good: the others' results are of no use.
            foreach (var task in tasks.Where(t => t.IsCompletedSuccessfully)) task.Result.Dispose();
            throw;
        }
    }

    /// <summary>The planned provider first, then every other live provider covering the hop, in random order.</summary>
    private List<ProviderRecord> Candidates(RouteHop hop, IReadOnlyList<ProviderRecord> providers)
    {
        var others = providers
            .Where(p => p.PeerId != hop.Provider.PeerId && p.ModelId == hop.Provider.ModelId && p.Start <= hop.Start && p.End >= hop.End && !failed.ContainsKey(p.PeerId))
            .OrderBy(_ => random.Next())
            .ToList();
        return [hop.Provider, .. others];
    }

    private async Task<T> RunShareAsync<T>(string direction, RouteHop hop, List<ProviderRecord> candidates, int index, int first, int rows,
        Func<ProviderRecord, int, int, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        Exception? last = null;
        // Share i starts on candidate i, then walks the others: a failure moves it to a live provider.
        for (var attempt = 0; attempt < candidates.Count; attempt++)
        {
            var provider = candidates[(index + attempt) % candidates.Count];
            if (failed.ContainsKey(provider.PeerId)) continue;
            try
            {
                var result = await call(provider, first, rows, cancellationToken);
                ShareServed?.Invoke(new TrainingShare(direction, hop.Start, hop.End, provider.PeerId, first, rows));
                return result;
            }
            catch (Exception e) when (DistributedBlockPipeline.IsProviderFailure(e))
            {
                failed.TryAdd(provider.PeerId, 0);
                last = e;
                logger.LogWarning("provider {Provider} failed {Direction} on blocks [{Start}, {End}) rows [{First}, {End2}): {Error}; retrying the share elsewhere",
                    provider.PeerId, direction, hop.Start, hop.End, first, first + rows, e.Message);
            }
        }
        throw last ?? new NoRouteException(hop.Provider.ModelId, hop.Start, hop.End, hop.Start);
    }
}
