using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

/// <summary>Deep prompts in BlockSpan: their meaning (added at each block's input) and their gradient.</summary>
public sealed class DeepPromptTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void Deep_prompts_are_added_to_the_prefix_of_each_blocks_input()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var whole = BlockSpan.Load(checkpoint, 0, 2);
        using var block0 = BlockSpan.Load(checkpoint, 0, 1);
        using var block1 = BlockSpan.Load(checkpoint, 1, 2);
        using var scope = NewDisposeScope();
        var hidden = randn([2, 7, checkpoint.Config.HiddenSize], generator: new Generator(1));
        var prompts = randn([2, 3, checkpoint.Config.HiddenSize], generator: new Generator(2));

        // Written out by hand, block by block, with an explicit slice-and-add instead of the span's padding.
        Tensor AddPrefix(Tensor h, Tensor p) => cat([h.narrow(1, 0, 3) + p, h.narrow(1, 3, 4)], 1);
        var expected = block1.Forward(AddPrefix(block0.Forward(AddPrefix(hidden, prompts[0])), prompts[1]));

        var diff = (whole.Forward(hidden, prompts) - expected).abs().max().item<float>();
        Assert.True(diff <= 1e-6, $"diff {diff}");
        Assert.True((whole.Forward(hidden, prompts) - whole.Forward(hidden)).abs().max().item<float>() > 0.1);
        Assert.Throws<ArgumentException>(() => whole.Forward(hidden, randn([3, 3, checkpoint.Config.HiddenSize])));
        Assert.Throws<ArgumentException>(() => whole.Forward(hidden, randn([2, 8, checkpoint.Config.HiddenSize])));
    }

    [Fact]
    public void Deep_prompt_gradient_matches_central_finite_differences()
    {
        // As in SoftPromptGradientTests: float64, eps 1e-4, so 1e-6 relative is a tight bound.
        var options = new BlockLoadOptions { DType = ScalarType.Float64 };
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 1, 3, options);
        using var scope = NewDisposeScope();
        var hidden = randn([2, 5, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: new Generator(3));
        var prompts = randn([2, 2, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: new Generator(4));
        var outputGradient = randn([2, 5, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: new Generator(5));
        double Objective(Tensor p) => (span.Forward(hidden, p) * outputGradient).sum().item<double>();

        using var gradients = span.Backward(hidden, prompts, outputGradient);
        var analytic = gradients.Prompts!.flatten().data<double>().ToArray();
        const double eps = 1e-4;
        var flat = prompts.flatten();
        double worst = 0;
        for (var i = 0; i < flat.shape[0]; i += 5)
        {
            var plus = flat.clone();
            plus[i] += eps;
            var minus = flat.clone();
            minus[i] -= eps;
            var numeric = (Objective(plus.view(prompts.shape)) - Objective(minus.view(prompts.shape))) / (2 * eps);
            worst = Math.Max(worst, Math.Abs(numeric - analytic[i]) / Math.Max(1e-3, Math.Abs(numeric)));
        }
        output.WriteLine($"worst relative error analytic vs finite differences: {worst:E2}");
        Assert.True(worst <= 1e-6, $"relative error {worst}");
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-3);
        // The input gradient must differ from the prompt-free one, since the prompts change the activations.
        using var plain = span.Backward(hidden, null, outputGradient);
        Assert.True((gradients.Input - plain.Input).abs().max().item<double>() > 1e-6);
    }
}
