using Peerz.Node.Serving;

namespace Peerz.Node.Tests;

public sealed class SpanSelectorTests
{
    [Fact]
    public void A_new_provider_covers_the_blocks_nobody_serves()
    {
        // Blocks 0-3 served at 10 tok/s, 4-7 by nobody: a 4-block provider takes 4-7.
        var perBlock = SpanSelector.ThroughputPerBlock(8, [(0, 4, 10.0)]);
        Assert.Equal(4, SpanSelector.ChooseStart(perBlock, 4));
    }

    [Fact]
    public void The_window_with_the_weakest_block_wins_even_if_its_sum_is_larger()
    {
        double[] perBlock = [5, 5, 5, 1, 50, 50];
        Assert.Equal(2, SpanSelector.ChooseStart(perBlock, 2)); // [5, 1] beats [5, 5]; ties on the weakest go to the next weakest
    }

    [Fact]
    public void A_provider_moves_only_when_that_lifts_the_bottleneck_enough()
    {
        // Others: blocks 0-3 at 10, blocks 4-7 at 0. We (10 tok/s) sit on 0-3: the bottleneck is 0.
        var others = SpanSelector.ThroughputPerBlock(8, [(0, 4, 10.0)]);
        Assert.True(SpanSelector.ShouldMove(others, currentStart: 0, numBlocks: 4, ownThroughput: 10));
        // Already on the empty half: staying is right.
        Assert.False(SpanSelector.ShouldMove(others, currentStart: 4, numBlocks: 4, ownThroughput: 10));
        // A small imbalance (9 vs 10) is within the 0.75 balance quality: no churn.
        var nearlyBalanced = SpanSelector.ThroughputPerBlock(8, [(0, 4, 10.0), (4, 8, 9.0)]);
        Assert.False(SpanSelector.ShouldMove(nearlyBalanced, currentStart: 0, numBlocks: 4, ownThroughput: 1));
    }
}
