using Peerz.Client.Training;

namespace Peerz.Client.Tests;

public sealed class TrainingDataTests
{
    private static readonly int[] Tokens = Enumerable.Range(100, 50).ToArray();

    [Fact]
    public void Batches_are_whole_sequences_of_the_text_in_a_seeded_order_covering_every_sequence()
    {
        var data = new TrainingData(Tokens, sequenceLength: 8, batchSize: 2, seed: 4);
        Assert.Equal(6, data.SequenceCount); // 50 tokens: 6 sequences of 8, the last 2 tokens unused
        var rows = Enumerable.Range(0, 3).SelectMany(step =>
        {
            using var batch = data.Batch(step);
            Assert.Equal([2L, 8L], batch.shape);
            var values = batch.data<long>().ToArray();
            return values.Chunk(8);
        }).ToList();
        // One epoch = 3 batches of 2: every sequence exactly once, each a contiguous run of the text.
        Assert.Equal(Enumerable.Range(0, 6).Select(i => 100L + 8 * i), rows.Select(r => r[0]).Order());
        Assert.All(rows, r => Assert.Equal(Enumerable.Range(0, 8).Select(i => r[0] + i), r));
        using var again = new TrainingData(Tokens, 8, 2, seed: 4).Batch(1);
        using var same = data.Batch(1);
        Assert.True(again.allclose(same, rtol: 0, atol: 0));
        using var wrapped = data.Batch(3); // the next epoch repeats the order
        using var first = data.Batch(0);
        Assert.True(wrapped.allclose(first, rtol: 0, atol: 0));
    }

    [Fact]
    public void Text_shorter_than_one_sequence_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new TrainingData(Tokens, sequenceLength: 64, batchSize: 2, seed: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingData(Tokens, sequenceLength: 1, batchSize: 2, seed: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingData(Tokens, sequenceLength: 8, batchSize: 0, seed: 0));
    }
}
