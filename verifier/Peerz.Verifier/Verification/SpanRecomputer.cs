using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Verifier.Verification;

/// <summary>
/// Recomputes what a provider should have answered, in float32 on the verifier's own copy of the blocks. Only
/// the blocks a receipt covers are loaded (memory-mapped from the checkpoint); the last few spans stay loaded.
/// Results are passed through the same output compression the provider used, so codec rounding is not counted
/// as a difference.
/// </summary>
public sealed class SpanRecomputer(Checkpoint checkpoint, TensorLimits limits, int maxLoadedSpans = 2) : IDisposable
{
    private readonly LinkedList<(int Start, int End, BlockSpan Blocks)> _loaded = new();
    private readonly Lock _lock = new();

    /// <summary>
    /// The outputs of every step of an inference session. The steps are replayed as one causal forward pass over
    /// all their positions: the same function the provider computed step by step with its KV cache (equal up to
    /// float rounding), at prefill speed instead of decode speed.
    /// </summary>
    public IReadOnlyList<Tensor> Inference(int start, int end, IReadOnlyList<InferenceStep> steps, TensorCompression compression)
    {
        var inputs = steps.Select(s => TensorCodec.Decode(s.Hidden ?? throw new FormatException("a step has no hidden states"), limits).to_type(ScalarType.Float32)).ToList();
        if (inputs.Any(i => i.shape.Length != 3 || i.shape[0] != inputs[0].shape[0] || i.shape[2] != inputs[0].shape[2]))
            throw new FormatException("the session's steps do not share one batch size and hidden size");
        var all = Span(start, end).Forward(cat(inputs, 1));
        var outputs = new List<Tensor>(inputs.Count);
        long position = 0;
        foreach (var input in inputs)
        {
            outputs.Add(RoundTrip(all.narrow(1, position, input.shape[1]), compression));
            position += input.shape[1];
        }
        return outputs;
    }

    /// <summary>A forward request's output, with its deep prompts when it carried any.</summary>
    public Tensor Forward(ForwardRequest request) =>
        RoundTrip(Shaped(() => Span((int)request.BlockStart, (int)request.BlockEnd).Forward(Decode(request.Hidden), DecodeOptional(request.Prompts))), request.OutputCompression);

    /// <summary>A backward request's input gradient, with its deep prompts when it carried any.</summary>
    public Tensor Backward(BackwardRequest request) =>
        RoundTrip(Shaped(() =>
        {
            using var gradients = Span((int)request.BlockStart, (int)request.BlockEnd).Backward(Decode(request.Hidden), DecodeOptional(request.Prompts), Decode(request.OutputGradient));
            return gradients.TakeInput();
        }), request.OutputCompression);

    private Tensor? DecodeOptional(SerializedTensor? message) => message is null ? null : Decode(message);

    /// <summary>Tensors of inconsistent shapes in a signed request are a malformed payload, not a verifier fault.</summary>
    private static Tensor Shaped(Func<Tensor> compute)
    {
        try
        {
            return compute();
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    private Tensor Decode(SerializedTensor? message) =>
        TensorCodec.Decode(message ?? throw new FormatException("a tensor is missing"), limits).to_type(ScalarType.Float32);

    private Tensor RoundTrip(Tensor output, TensorCompression compression) => TensorCodec.Decode(TensorCodec.Encode(output, compression), limits);

    private BlockSpan Span(int start, int end)
    {
        if (start < 0 || end > checkpoint.Config.NumLayers || start >= end) throw new FormatException($"blocks [{start}, {end}) are not in the model");
        lock (_lock)
        {
            for (var node = _loaded.First; node is not null; node = node.Next)
            {
                if (node.Value.Start > start || node.Value.End < end) continue;
                _loaded.Remove(node);
                _loaded.AddFirst(node);
                return node.Value.Blocks.Slice(start, end);
            }
            var blocks = BlockSpan.Load(checkpoint, start, end);
            _loaded.AddFirst((start, end, blocks));
            while (_loaded.Count > maxLoadedSpans)
            {
                _loaded.Last!.Value.Blocks.Dispose();
                _loaded.RemoveLast();
            }
            return blocks;
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, blocks) in _loaded) blocks.Dispose();
        _loaded.Clear();
    }
}
