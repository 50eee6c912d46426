using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

/// <summary>
/// Mixtral (sparse mixture of experts, top-2 routing) through the same paths as the dense architectures: span splits, the KV
/// cache, backward through a span for prompt tuning, batching, and the memory a span holds. Its forward pass is checked
/// against the independent reference in <see cref="ReferenceModelTests"/>.
/// </summary>
public sealed class MixtralTests(MixtralModelFixture model, ITestOutputHelper output) : IClassFixture<MixtralModelFixture>
{
    [Fact]
    public void Splitting_into_spans_at_every_boundary_gives_the_whole_models_logits() =>
        SpanSplitTests.AssertEverySplitGivesTheWholeModel(model.Directory, new BlockLoadOptions(), output);

    [Fact]
    public Task Incremental_decoding_of_32_tokens_equals_full_recomputation() =>
        KvCacheTests.AssertIncrementalDecodingEqualsRecomputation(model.Directory, new BlockLoadOptions(), output);

    [Fact]
    public void A_spans_weight_bytes_count_every_expert_and_the_router()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 1, 3);
        // Independently of the modules: every projection tensor of blocks 1 and 2 in the file (float32; norms are not counted).
        using var file = SafetensorsFile.Open(Path.Combine(model.Directory, Checkpoint.SingleFile));
        var projections = file.Tensors.Where(t => (t.Key.StartsWith("model.layers.1.") || t.Key.StartsWith("model.layers.2.")) && !t.Key.EndsWith("layernorm.weight")).ToList();
        var expected = projections.Sum(t => t.Value.Shape.Aggregate(4L, (bytes, size) => bytes * size));
        Assert.Equal(2 * (1 + 4 * 3), projections.Count(t => t.Key.Contains(".block_sparse_moe.")));
        Assert.Equal(expected, span.WeightBytes);

        // int8 quantizes the experts (a quarter of float32) but keeps the router in float32.
        using var quantized = BlockSpan.Load(checkpoint, 1, 3, new BlockLoadOptions { Quantization = WeightQuantization.Int8 });
        var config = checkpoint.Config;
        long experts = 2L * config.NumExperts * 3 * config.IntermediateSize * config.HiddenSize;
        output.WriteLine($"blocks [1, 3): {span.WeightBytes} bytes float32 ({experts * 4} of them experts), {quantized.WeightBytes} bytes int8");
        Assert.True(span.WeightBytes > experts * 4, "float32 span must hold every expert");
        Assert.True(quantized.WeightBytes < span.WeightBytes / 3, "int8 experts should take about a quarter of float32's memory");
    }

    [Fact]
    public void Backward_through_a_span_matches_central_finite_differences()
    {
        // Float64 as in SoftPromptGradientTests: truncation O(eps²) ≈ 1e-8, rounding ≈ 1e-16 / eps; the routing is piecewise
        // constant, so a step of 1e-5 along d must not cross a near-tie of the top-2 choice (checked: the loss is smooth there).
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 0, 4, new BlockLoadOptions { DType = ScalarType.Float64 });
        using var scope = NewDisposeScope();
        var generator = manual_seed(11);
        var hidden = randn([2, 6, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: generator);
        var outputGradient = randn(hidden.shape, ScalarType.Float64, generator: generator);
        var direction = randn(hidden.shape, ScalarType.Float64, generator: generator);
        double Loss(Tensor x) => (span.Forward(x) * outputGradient).sum().item<double>();

        var analytic = (span.Backward(hidden, outputGradient) * direction).sum().item<double>();
        const double eps = 1e-5;
        var numeric = (Loss(hidden + eps * direction) - Loss(hidden - eps * direction)) / (2 * eps);
        var relative = Math.Abs(numeric - analytic) / Math.Abs(numeric);
        output.WriteLine($"directional derivative: analytic {analytic:G10}, finite differences {numeric:G10}, relative error {relative:E2}");
        Assert.True(relative <= 1e-6, $"relative error {relative}");
    }

    [Fact]
    public void A_tokens_output_does_not_depend_on_the_other_rows_routed_with_it()
    {
        // Experts run on the rows routed to them, so batch composition changes the matmul shapes: a row alone and in a
        // batch of 3 must agree to float32 rounding (a batching provider and a lone verifier compute the same function).
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 0, 4);
        using var scope = NewDisposeScope();
        var hidden = randn([3, 7, checkpoint.Config.HiddenSize], generator: manual_seed(5));
        var batched = span.Forward(hidden);
        double worst = 0;
        for (var row = 0; row < 3; row++)
            worst = Math.Max(worst, (span.Forward(hidden.narrow(0, row, 1)) - batched.narrow(0, row, 1)).abs().max().item<float>());
        output.WriteLine($"max abs diff, row alone vs in a batch of 3: {worst:E2}");
        Assert.True(worst <= 1e-5, $"max abs diff {worst}");
    }
}
