using Peerz.Model.Adapters;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>What a backward pass through a span yields: the input's gradient and, with deep prompts or a LoRA adapter, theirs.</summary>
public sealed class SpanGradients(Tensor input, Tensor? prompts, LoraAdapter? adapter = null) : IDisposable
{
    private Tensor? _input = input;

    public Tensor Input => _input ?? throw new ObjectDisposedException(nameof(SpanGradients));

    /// <summary>[blocks, prefix, hidden], or null when the pass had no deep prompts.</summary>
    public Tensor? Prompts { get; } = prompts;

    /// <summary>Gradients of the LoRA weights, in the adapter's layout, or null when the pass had no adapter.</summary>
    public LoraAdapter? Adapter { get; } = adapter;

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
        Adapter?.Dispose();
    }
}
