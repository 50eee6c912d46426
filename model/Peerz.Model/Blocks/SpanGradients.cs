using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>What a backward pass through a span yields: the input's gradient and, with deep prompts, theirs.</summary>
public sealed class SpanGradients(Tensor input, Tensor? prompts) : IDisposable
{
    private Tensor? _input = input;

    public Tensor Input => _input ?? throw new ObjectDisposedException(nameof(SpanGradients));

    /// <summary>[blocks, prefix, hidden], or null when the pass had no deep prompts.</summary>
    public Tensor? Prompts { get; } = prompts;

    /// <summary>Hands the input gradient to the caller, who then owns it.</summary>
    public Tensor TakeInput()
    {
        var input = Input;
        _input = null;
        return input;
    }

    public void Dispose()
    {
        _input?.Dispose();
        Prompts?.Dispose();
    }
}
