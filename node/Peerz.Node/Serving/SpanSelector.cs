namespace Peerz.Node.Serving;

/// <summary>
/// Petals' block selection. A joining provider serves the window of blocks whose swarm throughput
/// is weakest (lexicographically smallest sorted window, so the single weakest block dominates);
/// a serving provider moves only when that would raise the swarm's bottleneck throughput enough:
/// current bottleneck / bottleneck after moving &lt; <c>balanceQuality</c> (0.75 by default).
/// </summary>
public static class SpanSelector
{
    public const double DefaultBalanceQuality = 0.75;

    /// <param name="throughputPerBlock">Tokens/s the rest of the swarm provides for each block (0 where none).</param>
    public static int ChooseStart(IReadOnlyList<double> throughputPerBlock, int numBlocks)
    {
        if (numBlocks < 1 || numBlocks > throughputPerBlock.Count)
            throw new ArgumentOutOfRangeException(nameof(numBlocks), $"cannot serve {numBlocks} of {throughputPerBlock.Count} blocks");
        var best = 0;
        double[]? bestWindow = null;
        for (var start = 0; start + numBlocks <= throughputPerBlock.Count; start++)
        {
            var window = throughputPerBlock.Skip(start).Take(numBlocks).Order().ToArray();
            if (bestWindow is null || Compare(window, bestWindow) < 0)
            {
                best = start;
                bestWindow = window;
            }
        }
        return best;
    }

    /// <summary>Per-block throughput of the swarm from announced spans: each span adds its throughput to its blocks.</summary>
    public static double[] ThroughputPerBlock(int numLayers, IEnumerable<(int Start, int End, double Throughput)> spans)
    {
        var total = new double[numLayers];
        foreach (var (start, end, throughput) in spans)
            for (var block = Math.Max(0, start); block < Math.Min(numLayers, end); block++)
                total[block] += throughput;
        return total;
    }

    /// <summary>Whether a provider now at <paramref name="currentStart"/> should move to improve the swarm's bottleneck.</summary>
    /// <param name="othersPerBlock">Throughput per block of every other provider.</param>
    public static bool ShouldMove(IReadOnlyList<double> othersPerBlock, int currentStart, int numBlocks, double ownThroughput, double balanceQuality = DefaultBalanceQuality)
    {
        var current = Bottleneck(othersPerBlock, currentStart, numBlocks, ownThroughput);
        var bestStart = ChooseStart(othersPerBlock, numBlocks);
        var moved = Bottleneck(othersPerBlock, bestStart, numBlocks, ownThroughput);
        if (moved <= 0) return false;
        return current / moved < balanceQuality;
    }

    /// <summary>The swarm's weakest block throughput if this provider served [start, start + numBlocks).</summary>
    public static double Bottleneck(IReadOnlyList<double> othersPerBlock, int start, int numBlocks, double ownThroughput) =>
        othersPerBlock.Select((throughput, block) => block >= start && block < start + numBlocks ? throughput + ownThroughput : throughput).Min();

    private static int Compare(double[] a, double[] b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            var order = a[i].CompareTo(b[i]);
            if (order != 0) return order;
        }
        return 0;
    }
}
