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

    /// <summary>The outputs of every step of an inference session, replayed from its first step.</summary>
    public IReadOnlyList<Tensor> Inference(int start, int end, IReadOnlyList<InferenceStep> steps, TensorCompression compression)
    {
        var inputs = steps.Select(s => TensorCodec.Decode(s.Hidden ?? throw new FormatException("a step has no hidden states"), limits)).ToList();
        var batch = (int)inputs[0].shape[0];
        var length = (int)inputs.Sum(i => i.shape[1]);
        using var session = Span(start, end).OpenSession(batch, length, new KvCacheBudget(long.MaxValue));
        return inputs.Select(input => RoundTrip(session.Step(input.to_type(ScalarType.Float32)), compression)).ToList();
    }

    public Tensor Forward(ForwardRequest request) =>
        RoundTrip(Span((int)request.BlockStart, (int)request.BlockEnd).Forward(Decode(request.Hidden)), request.OutputCompression);

    public Tensor Backward(BackwardRequest request) =>
        RoundTrip(Span((int)request.BlockStart, (int)request.BlockEnd).Backward(Decode(request.Hidden), Decode(request.OutputGradient)), request.OutputCompression);

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
