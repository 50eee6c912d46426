using Peerz.Model.Blocks;
using Peerz.Model.Tiny;
using Peerz.Testing;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

public sealed class BatchedDecodeTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    // The batched pass runs the same float32 ops as a single step; only the projections' matrix products see N rows instead
    // of one, which may change how libtorch blocks and sums the dot products. That reorders float32 additions (relative
    // rounding ~6e-8 each over hidden sizes of tens to hundreds of terms), far below 1e-5 on the tiny model's O(1) activations.
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(WeightQuantization.None)]
    [InlineData(WeightQuantization.Nf4)] // every row of x meets the same dequantized NF4 weights, whatever the batch
    public void Batched_decode_equals_per_session_decode_for_sessions_at_different_positions_and_after_a_rollback(WeightQuantization quantization) =>
        AssertBatchedDecodeEqualsPerSessionDecode(model.Directory, new BlockLoadOptions { Quantization = quantization }, output);

    /// <summary>Four sessions at different positions, decoded together and one by one (with a rollback midway), give the same outputs and caches.</summary>
    internal static void AssertBatchedDecodeEqualsPerSessionDecode(string directory, BlockLoadOptions options, ITestOutputHelper output)
    {
        using var local = LocalModel.Load(directory, options);
        var budget = new KvCacheBudget(1L << 27);
        int[][] prompts = [[1, 2, 3], [9], [4, 5, 6, 7, 8, 10, 11], [12, 13]];
        var batched = prompts.Select(_ => local.Blocks.OpenSession(1, 32, budget)).ToArray();
        var single = prompts.Select(_ => local.Blocks.OpenSession(1, 32, budget)).ToArray();
        try
        {
            for (var i = 0; i < prompts.Length; i++)
            {
                using var embedded = local.Head.EmbedSequence(prompts[i]);
                batched[i].Step(embedded).Dispose();
                single[i].Step(embedded).Dispose();
            }
            var worst = 0f;
            var random = new Random(16);
            for (var round = 0; round < 6; round++)
            {
                if (round == 3)
                {
                    // Speculative decoding drops rejected drafts: roll two sessions back, then keep batching.
                    foreach (var i in new[] { 0, 2 })
                    {
                        batched[i].Rollback(batched[i].Position - 2);
                        single[i].Rollback(single[i].Position - 2);
                    }
                }
                var tokens = prompts.Select(_ => random.Next(local.Checkpoint.Config.VocabSize)).ToArray();
                var inputs = tokens.Select(t => local.Head.EmbedSequence([t])).ToArray();
                var outputs = BatchedDecode.Step(batched, inputs);
                for (var i = 0; i < prompts.Length; i++)
                {
                    using var expected = single[i].Step(inputs[i]);
                    worst = Math.Max(worst, (outputs[i] - expected).abs().max().item<float>());
                    Assert.Equal(single[i].Position, batched[i].Position);
                    outputs[i].Dispose();
                    inputs[i].Dispose();
                }
            }
            foreach (var (b, s) in batched.Zip(single))
            {
                foreach (var ((k1, v1), (k2, v2)) in b.SnapshotCaches().Zip(s.SnapshotCaches()))
                {
                    worst = Math.Max(worst, Math.Max((k1 - k2).abs().max().item<float>(), (v1 - v2).abs().max().item<float>()));
                    foreach (var t in new[] { k1, v1, k2, v2 }) t.Dispose();
                }
            }
            output.WriteLine($"{local.Checkpoint.Config.ModelType}: max abs diff batched vs per-session (outputs and caches): {worst:E2}");
            Assert.True(worst <= Tolerance, $"batched decode differs by {worst}");
        }
        finally
        {
            foreach (var session in batched.Concat(single)) session.Dispose();
        }
    }

    [Fact]
    public void Steps_that_are_not_one_position_of_a_batch_1_session_or_repeat_a_session_are_refused()
    {
        using var local = LocalModel.Load(model.Directory);
        var budget = new KvCacheBudget(1L << 26);
        using var a = local.Blocks.OpenSession(1, 8, budget);
        using var b = local.Blocks.OpenSession(1, 8, budget);
        using var one = local.Head.EmbedSequence([1]);
        using var two = local.Head.EmbedSequence([1, 2]);
        Assert.Throws<ArgumentException>(() => BatchedDecode.Step([a, b], [one, two]));
        Assert.Throws<ArgumentException>(() => BatchedDecode.Step([a, a], [one, one]));
        Assert.Equal(0, a.Position);
        Assert.Equal(0, b.Position);
    }
}
