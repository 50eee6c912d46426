using Microsoft.Extensions.Logging;
using Peerz.Node.Serving;

namespace Peerz.Node.Swarm;

/// <summary>
/// Petals' rebalancing: every period (randomised to 0.5–1.5× so providers do not all react to
/// the same gap at once) the provider reads the swarm's announcements, and if serving the weakest
/// blocks instead of its own would raise the swarm's bottleneck throughput by the margin
/// (<see cref="SpanSelector.ShouldMove"/>), it loads those blocks and moves there.
/// </summary>
public sealed class SpanRebalancer(ProviderNode node, Func<int, int, CancellationToken, Task<ServedSpan>> loadSpan, TimeSpan period,
    ILogger<SpanRebalancer> logger, Random random, double balanceQuality = SpanSelector.DefaultBalanceQuality)
{
    /// <summary>Raised after every move, for display and tests.</summary>
    public event Action<SpanMove>? Moved;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period * (0.5 + random.NextDouble()), cancellationToken);
                await CheckOnceAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A failed look at the swarm (or a failed load) leaves the provider serving where it is.
                logger.LogWarning(e, "rebalancing check failed: {Error}", e.Message);
            }
        }
    }

    /// <summary>Reads the swarm once and moves if the rule says so; returns the move made, if any.</summary>
    public async Task<SpanMove?> CheckOnceAsync(CancellationToken cancellationToken)
    {
        var served = node.Served;
        var (start, size, own) = (served.Blocks.Start, served.Blocks.End - served.Blocks.Start, served.Throughput);
        var others = await node.ReadSwarmAsync(cancellationToken);
        var perBlock = SpanSelector.ThroughputPerBlock(served.Blocks.Config.NumLayers, others.Select(o => (o.Start, o.End, o.Throughput)));
        if (!SpanSelector.ShouldMove(perBlock, start, size, own, balanceQuality)) return null;
        var target = SpanSelector.ChooseStart(perBlock, size);
        var move = new SpanMove(start, target, size, own, perBlock,
            SpanSelector.Bottleneck(perBlock, start, size, own), SpanSelector.Bottleneck(perBlock, target, size, own));
        logger.LogInformation("rebalancing: moving from blocks [{From}, {FromEnd}) to [{To}, {ToEnd}): swarm bottleneck {Before:F1} -> {After:F1} tokens/s",
            move.From, move.From + size, move.To, move.To + size, move.Before, move.After);
        await node.MoveAsync(await loadSpan(target, target + size, cancellationToken), cancellationToken);
        Moved?.Invoke(move);
        return move;
    }
}
