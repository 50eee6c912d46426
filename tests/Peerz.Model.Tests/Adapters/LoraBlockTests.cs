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
            WriteMerged(model.Directory, merged, adapter);
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
        // Float64: eps = 1e-4 gives truncation O(eps²) ≈ 1e-8 and rounding ≈ 1e-16 · |loss| / eps ≈ 1e-11, below the 1e-6 relative bound.
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var first = BlockSpan.Load(checkpoint, 0, 2, Float64);
        using var second = BlockSpan.Load(checkpoint, 2, 4, Float64);
        using var adapter = TrainedAdapter(checkpoint, seed: 5);
        using var scope = NewDisposeScope();
        var hidden = randn([2, 5, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: manual_seed(6));
        var probe = randn([2, 5, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: manual_seed(7));
        using var firstAdapter = adapter.Slice(0, 2);
        using var secondAdapter = adapter.Slice(2, 4);

        // Loss = <probe, second(first(hidden))>: its gradient with respect to the last output is the probe itself.
        double Loss() => (second.Forward(first.Forward(hidden, null, firstAdapter), null, secondAdapter) * probe).sum().item<double>();

        var middle = first.Forward(hidden, null, firstAdapter);
        using var secondGradients = second.Backward(middle, null, probe, adapter: secondAdapter);
        using var firstGradients = first.Backward(hidden, null, secondGradients.Input, adapter: firstAdapter);

        double worst = 0;
        var checkedCount = 0;
        foreach (var (weights, gradients) in new[] { (firstAdapter, firstGradients.Adapter!), (secondAdapter, secondGradients.Adapter!) })
        {
            for (var w = 0; w < weights.Weights.Count; w++)
            {
                foreach (var (parameter, gradient) in new[] { (weights.Weights[w].A, gradients.Weights[w].A), (weights.Weights[w].B, gradients.Weights[w].B) })
                {
                    Assert.Equal(parameter.shape, gradient.shape);
                    var flat = parameter.view(-1);
                    var analytic = gradient.to_type(ScalarType.Float64).view(-1);
                    for (long i = 0; i < flat.shape[0]; i += 89)
                    {
                        const double eps = 1e-4;
                        var original = flat[i].item<double>();
                        flat[i] = original + eps;
                        var plus = Loss();
                        flat[i] = original - eps;
                        var minus = Loss();
                        flat[i] = original;
                        var numeric = (plus - minus) / (2 * eps);
                        worst = Math.Max(worst, Math.Abs(numeric - analytic[i].item<double>()) / Math.Max(1e-3, Math.Abs(numeric)));
                        checkedCount++;
                    }
                }
            }
        }
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

    /// <summary>The checkpoint with each targeted W replaced by W + scaling·B·A, as PEFT's merge does.</summary>
    private static void WriteMerged(string source, string target, LoraAdapter adapter)
    {
        File.Copy(Path.Combine(source, Checkpoint.ConfigFile), Path.Combine(target, Checkpoint.ConfigFile));
        using var file = SafetensorsFile.Open(Path.Combine(source, Checkpoint.SingleFile));
        using var scope = NewDisposeScope();
        var tensors = file.Tensors.Keys.Order().Select(name =>
        {
            var tensor = file.Load(name);
            var weight = adapter.Weights.FirstOrDefault(w => name == $"model.layers.{w.Block}.{LoraModules.Parent(w.Module)}.{w.Module}.weight");
            if (weight is null) return (name, tensor);
            var delta = weight.B.to_type(ScalarType.Float64).mm(weight.A.to_type(ScalarType.Float64)) * adapter.Scaling;
            return (name, (tensor.to_type(ScalarType.Float64) + delta).to_type(tensor.dtype));
        }).ToList();
        SafetensorsWriter.Write(Path.Combine(target, Checkpoint.SingleFile), tensors);
    }
}
