using Peerz.Model.Client;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// The causal language-model loss a tuner computes on the client with its local head: mean next-token cross-entropy
/// over the text positions of the blocks' output (positions before <c>offset</c>, soft prompts, predict nothing).
/// </summary>
internal static class CausalLmLoss
{
    public static double Value(ClientHead head, Tensor output, Tensor tokens, int offset)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Loss(head, output, tokens, offset).item<float>();
    }

    /// <summary>The loss and its gradient with respect to <paramref name="output"/>: what goes back through the blocks.</summary>
    public static (double Loss, Tensor Gradient) WithGradient(ClientHead head, Tensor output, Tensor tokens, int offset)
    {
        using var scope = NewDisposeScope();
        using var gradMode = enable_grad();
        var leaf = output.detach().requires_grad_(true);
        var loss = Loss(head, leaf, tokens, offset);
        var gradient = autograd.grad([loss], [leaf])[0];
        return (loss.item<float>(), gradient.MoveToOuterDisposeScope());
    }

    private static Tensor Loss(ClientHead head, Tensor output, Tensor tokens, int offset)
    {
        var length = tokens.shape[1];
        var logits = head.Logits(output.narrow(1, offset, length - 1));
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), tokens.narrow(1, 1, length - 1).reshape(-1));
    }
}
