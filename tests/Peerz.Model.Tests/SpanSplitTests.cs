using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

public sealed class SpanSplitTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    private static readonly int[] Tokens = [1, 17, 42, 99, 3, 250, 7, 7, 128, 64, 5, 200];

    [Theory]
    [InlineData(WeightQuantization.None)]
    [InlineData(WeightQuantization.Int8)]
    [InlineData(WeightQuantization.Nf4)] // quantized per projection, so every span holds exactly the whole model's weights
    public void Splitting_into_spans_at_every_boundary_gives_the_whole_models_logits(WeightQuantization quantization) =>
        AssertEverySplitGivesTheWholeModel(model.Directory, new BlockLoadOptions { Quantization = quantization }, output);

    /// <summary>Every split point k ([0, k) then [k, L)) and the finest split, one block per span, give the whole model's logits.</summary>
    internal static void AssertEverySplitGivesTheWholeModel(string directory, BlockLoadOptions options, ITestOutputHelper output)
    {
        using var whole = LocalModel.Load(directory, options);
        var expected = whole.Logits(Tokens);
        using var checkpoint = Checkpoint.Open(directory);
        var layers = checkpoint.Config.NumLayers;
        double worst = 0;
        var chains = Enumerable.Range(1, layers - 1).Select(k => new[] { 0, k, layers }).Append(Enumerable.Range(0, layers + 1).ToArray());
        foreach (var boundaries in chains)
        {
            var spans = boundaries.Zip(boundaries.Skip(1)).Select(b => BlockSpan.Load(checkpoint, b.First, b.Second, options)).ToList();
            try
            {
                using var scope = NewDisposeScope();
                var hidden = whole.Head.EmbedSequence(Tokens);
                foreach (var span in spans) hidden = span.Forward(hidden);
                var logits = ToRows(whole.Head.Logits(hidden)[0]);
                var diff = Arrays.MaxAbsDiff(expected, logits);
                worst = Math.Max(worst, diff);
                Assert.True(diff <= 1e-5, $"split {string.Join("|", boundaries)}: max abs diff {diff}");
            }
            finally
            {
                foreach (var span in spans) span.Dispose();
            }
        }
        output.WriteLine($"{checkpoint.Config.ModelType}: max abs logit diff over all splits: {worst:E2} (float32, weights {options.Quantization})");
    }

    [Fact]
    public void A_span_reads_only_its_own_shard()
    {
        // Shard the checkpoint so blocks 2.. live in a second file, then delete that file:
        // loading span [0, 2) must still work because it never opens the other shard.
        var dir = TempDirectory.Create("sharded");
        try
        {
            ShardedCopy.Write(model.Directory, dir, tensor => tensor.StartsWith("model.layers.0.") || tensor.StartsWith("model.layers.1.") || !tensor.StartsWith("model.layers."));
            using (var full = Checkpoint.Open(dir))
            using (var span = BlockSpan.Load(full, 0, 4))
            using (var reference = LocalModel.Load(model.Directory))
            using (var scope = NewDisposeScope())
            {
                var hidden = reference.Head.EmbedSequence(Tokens);
                var diff = (span.Forward(hidden) - reference.Blocks.Forward(hidden)).abs().max().item<float>();
                Assert.True(diff <= 1e-6, $"sharded checkpoint differs by {diff}");
            }
            File.Delete(Path.Combine(dir, ShardedCopy.SecondShard));
            using var checkpoint = Checkpoint.Open(dir);
            using var firstSpan = BlockSpan.Load(checkpoint, 0, 2);
            var error = Assert.Throws<CheckpointFormatException>(() => BlockSpan.Load(checkpoint, 2, 4));
            Assert.Contains(ShardedCopy.SecondShard, error.Message);
        }
        finally
        {
            TempDirectory.Delete(dir);
        }
    }

    [Fact]
    public void A_slice_of_a_loaded_span_equals_loading_that_range()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var whole = BlockSpan.Load(checkpoint, 0, 4);
        using var loaded = BlockSpan.Load(checkpoint, 1, 3);
        using var slice = whole.Slice(1, 3);
        using var scope = NewDisposeScope();
        var hidden = randn([1, 6, checkpoint.Config.HiddenSize], generator: manual_seed(5));
        Assert.Equal(0, (slice.Forward(hidden, 2) - loaded.Forward(hidden, 2)).abs().max().item<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => whole.Slice(3, 5));
        slice.Dispose();
        using var stillUsable = whole.Forward(hidden);
    }

    internal static float[][] ToRows(Tensor logits)
    {
        var vocab = (int)logits.shape[1];
        var flat = logits.contiguous().data<float>().ToArray();
        return Enumerable.Range(0, (int)logits.shape[0]).Select(r => flat.AsSpan(r * vocab, vocab).ToArray()).ToArray();
    }
}
