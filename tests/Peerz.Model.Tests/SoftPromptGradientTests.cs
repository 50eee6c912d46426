using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

/// <summary>
/// Prompt tuning through the swarm needs d loss / d input of each span. We check the chain
/// (client loss → span.Backward → soft prompt gradient) against central finite differences.
/// </summary>
public sealed class SoftPromptGradientTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    private static readonly int[] Tokens = [5, 17, 42, 99, 3];
    private const int PromptLength = 2;

    [Fact]
    public void Gradient_with_respect_to_a_soft_prompt_matches_central_finite_differences()
    {
        // Float64 makes finite differences meaningful: with eps = 1e-4 the truncation error
        // is O(eps²) ≈ 1e-8 and rounding ≈ 1e-16 / eps = 1e-12, so 1e-6 relative is a tight bound.
        var options = new BlockLoadOptions { DType = ScalarType.Float64 };
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var head = ClientHead.Load(checkpoint, ScalarType.Float64);
        using var first = BlockSpan.Load(checkpoint, 0, 2, options);
        using var second = BlockSpan.Load(checkpoint, 2, 4, options);
        using var scope = NewDisposeScope();
        var generator = manual_seed(3);
        var prompt = randn([1, PromptLength, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: generator);
        var tokens = head.EmbedSequence(Tokens);

        Tensor Loss(Tensor softPrompt, out Tensor lastHidden, out Tensor secondInput, out Tensor firstInput)
        {
            firstInput = cat([softPrompt, tokens], 1);
            secondInput = first.Forward(firstInput);
            lastHidden = second.Forward(secondInput);
            return NextTokenLoss(head, lastHidden);
        }

        // Analytic: the client differentiates its own loss, then each span returns input gradients.
        Loss(prompt, out var lastHidden, out var secondInput, out var firstInput);
        var outputGrad = LossGradient(head, lastHidden);
        var midGrad = second.Backward(secondInput, outputGrad);
        var inputGrad = first.Backward(firstInput, midGrad);
        var analytic = inputGrad.narrow(1, 0, PromptLength).contiguous().data<double>().ToArray();

        const double eps = 1e-4;
        var flat = prompt.flatten();
        double worst = 0;
        for (var i = 0; i < flat.shape[0]; i += 7)
        {
            var plus = flat.clone();
            plus[i] += eps;
            var minus = flat.clone();
            minus[i] -= eps;
            var lossPlus = Loss(plus.view(prompt.shape), out _, out _, out _).item<double>();
            var lossMinus = Loss(minus.view(prompt.shape), out _, out _, out _).item<double>();
            var numeric = (lossPlus - lossMinus) / (2 * eps);
            var relative = Math.Abs(numeric - analytic[i]) / Math.Max(1e-3, Math.Abs(numeric));
            worst = Math.Max(worst, relative);
        }
        output.WriteLine($"worst relative error analytic vs finite differences: {worst:E2}");
        Assert.True(worst <= 1e-6, $"relative error {worst}");
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-4);
    }

    private static Tensor NextTokenLoss(ClientHead head, Tensor hidden)
    {
        // Mean cross-entropy of predicting Tokens[i + 1] at the position of Tokens[i].
        var logits = head.Logits(hidden.to_type(ScalarType.Float64)).to_type(ScalarType.Float64);
        var predictions = logits[0].narrow(0, PromptLength, Tokens.Length - 1);
        var targets = tensor(Tokens.Skip(1).Select(t => (long)t).ToArray());
        return nn.functional.cross_entropy(predictions, targets);
    }

    private static Tensor LossGradient(ClientHead head, Tensor hidden)
    {
        using var gradMode = enable_grad();
        var input = hidden.detach().requires_grad_(true);
        var loss = NextTokenLoss(head, input);
        return autograd.grad([loss], [input])[0];
    }
}
