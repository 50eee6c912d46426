using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Testing;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests.Adapters;

/// <summary>
/// LoRA inside a span, checked against computations that do not use our adapter code: the base model with merged
/// weights W + (alpha/r)·B·A written as a checkpoint (PEFT's merge_and_unload), and central finite differences.
/// </summary>
public sealed class LoraBlockTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    private static readonly string[] Modules = ["q_proj", "v_proj", "o_proj", "down_proj"];
    private static readonly BlockLoadOptions Float64 = new() { DType = ScalarType.Float64 };

    [Fact]
    public void A_fresh_adapter_leaves_the_output_unchanged_because_B_starts_at_zero()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 0, 4);
        using var adapter = LoraAdapter.Create(checkpoint.Config, 0, 4, LoraModules.Default, rank: 4, alpha: 8, seed: 1);
        using var scope = NewDisposeScope();
        var hidden = randn([2, 5, checkpoint.Config.HiddenSize], generator: manual_seed(2));
        Assert.Equal(0.0, (span.Forward(hidden, null, adapter) - span.Forward(hidden)).abs().max().item<float>());
        Assert.All(adapter.Weights, w => Assert.True(w.A.abs().max().item<float>() > 0));
    }

    [Fact]
    public void Forward_with_an_adapter_equals_the_base_model_with_merged_weights()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var adapter = TrainedAdapter(checkpoint, seed: 3);
        var merged = TempDirectory.Create("lora-merged");
        try
        {
            LoraChecks.WriteMerged(model.Directory, merged, adapter);
            using var mergedCheckpoint = Checkpoint.Open(merged);
            using var span = BlockSpan.Load(checkpoint, 0, 4, Float64);
            using var mergedSpan = BlockSpan.Load(mergedCheckpoint, 0, 4, Float64);
            using var scope = NewDisposeScope();
            var hidden = randn([2, 6, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: manual_seed(4));
            var adapted = span.Forward(hidden, null, adapter);
            var difference = (adapted - mergedSpan.Forward(hidden)).abs().max().item<double>();
            var effect = (adapted - span.Forward(hidden)).abs().max().item<double>();
            output.WriteLine($"max |adapter - merged| = {difference:E2}; the adapter moves the output by {effect:E2}");
            // The merged weights are stored in float32 (relative rounding 6e-8 of weights of size ~0.1), so 1e-5 bounds it
            // with room; the adapter itself moves outputs by orders of magnitude more.
            Assert.True(difference <= 1e-5, $"difference {difference}");
            Assert.True(effect > 1e-2, $"the adapter barely changes the output ({effect})");
        }
        finally
        {
            TempDirectory.Delete(merged);
        }
    }

    [Fact]
    public void Gradients_of_A_and_B_through_two_spans_match_central_finite_differences()
    {
        // Float64 central differences (LoraChecks.GradientError) are accurate to ~1e-8, below the 1e-6 relative bound.
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var first = BlockSpan.Load(checkpoint, 0, 2, Float64);
        using var second = BlockSpan.Load(checkpoint, 2, 4, Float64);
        using var adapter = TrainedAdapter(checkpoint, seed: 5);
        using var scope = NewDisposeScope();
        var hidden = randn([2, 5, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: manual_seed(6));
        var probe = randn([2, 5, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: manual_seed(7));
        using var firstAdapter = adapter.Slice(0, 2);
        using var secondAdapter = adapter.Slice(2, 4);
        var (worst, checkedCount) = LoraChecks.GradientError(first, second, firstAdapter, secondAdapter, hidden, probe);
        output.WriteLine($"{checkedCount} entries of A and B; worst relative error vs finite differences {worst:E2}");
        Assert.True(worst <= 1e-6, $"relative error {worst}");
        Assert.True(checkedCount > 50);
    }

    [Fact]
    public void Bad_adapters_are_refused_with_the_reason()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 0, 2);
        using var scope = NewDisposeScope();
        var hidden = randn([1, 3, checkpoint.Config.HiddenSize]);
        var hiddenSize = checkpoint.Config.HiddenSize;

        void Refused(LoraWeight weight, string reason)
        {
            using var adapter = new LoraAdapter(2, [weight]);
            var e = Assert.Throws<ArgumentException>(() => span.Forward(hidden, null, adapter));
            Assert.Contains(reason, e.Message);
        }

        Refused(new LoraWeight(0, "q_proj", zeros(4, hiddenSize + 1), zeros(hiddenSize, 4)), "lora_A must be [4, 64]");
        Refused(new LoraWeight(0, "lm_head", zeros(4, hiddenSize), zeros(hiddenSize, 4)), "unknown target module");
        Refused(new LoraWeight(3, "q_proj", zeros(4, hiddenSize), zeros(hiddenSize, 4)), "not in blocks [0, 2)");
        Refused(new LoraWeight(0, "q_proj", zeros(LoraAdapter.MaxRank + 1, hiddenSize), zeros(hiddenSize, LoraAdapter.MaxRank + 1)), "rank must be in");
        Assert.Throws<ArgumentOutOfRangeException>(() => LoraAdapter.Create(checkpoint.Config, 0, 2, LoraModules.Default, rank: 0, alpha: 1, seed: 1));
    }

    private static LoraAdapter TrainedAdapter(Checkpoint checkpoint, long seed) => LoraTestAdapters.Trained(checkpoint.Config, Modules, seed, ScalarType.Float64);
}
