using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Verifier.Verification;

/// <summary>
/// Recomputes what a provider should have answered, in float32 on the verifier's own copy of the blocks, with the
/// checkpoint's weights or, for a receipt signed as NF4, with the same NF4 weights the provider holds
/// (<see cref="ReplayWeights"/>). Only the blocks a receipt covers are loaded (memory-mapped from the checkpoint);
/// the last few spans stay loaded.
/// Results are encoded with the output compression the provider used, and codec rounding is not counted as a
/// difference (<see cref="Recomputed"/>). Inputs are validated against the model before anything is computed (block range, hidden size,
/// positions below the model's maximum, batch × positions at most <paramref name="maxTokens"/>, which bounds memory
/// and time); a signed input that fails is a <see cref="FormatException"/>: not checkable, never a verifier crash.
/// </summary>
public sealed class SpanRecomputer(Checkpoint checkpoint, TensorLimits limits, long maxTokens = 16384, int maxLoadedSpans = 2) : IDisposable
{
    private readonly LinkedList<(int Start, int End, WeightQuantization Weights, BlockSpan Blocks)> _loaded = new();
    private readonly Lock _lock = new();

    /// <summary>
    /// The weights a receipt's serving mode is replayed with. NF4 rounds every weight by up to 14 % of its block's
    /// absmax, so a float32 replay would put honest NF4 providers as far from the verifier (measured up to 0.63, relative)
    /// as another model's outputs (0.73); NF4 quantization is a deterministic function of the checkpoint, so the verifier
    /// quantizes the same way and only kernel-order rounding is left (docs/verification.md). Int8 stays replayed in
    /// float32 under its own tolerance (its rounding is 30× smaller).
    /// </summary>
    public static WeightQuantization ReplayWeights(string quantization) => quantization == "nf4" ? WeightQuantization.Nf4 : WeightQuantization.None;

    /// <summary>
    /// The outputs of every step of an inference session. The steps are replayed as causal forward passes over
    /// all their positions: the same function the provider computed step by step with its KV cache (equal up to
    /// float rounding), at prefill speed instead of decode speed. A step whose position is below the positions
    /// held rolls the session back (speculative decoding): the steps so far are answered from one pass, the inputs
    /// are cut at that position, and replay goes on, so a session costs one pass per rollback plus one.
    /// A session opened with a LoRA adapter or deep prompts is replayed with them at every position: step 0's signed input
    /// carries them (<see cref="InferenceStep.SessionAdapter"/>, <see cref="InferenceStep.SessionPrompts"/>), and a replay
    /// without them would flag an honest provider.
    /// <para>
    /// A mixture-of-experts session is replayed with the provider's signed routing when <paramref name="routing"/> gives
    /// every step's (see <see cref="SignedRouting"/>), else with the verifier's own; each output records the routing taken.
    /// </para>
    /// </summary>
    public IReadOnlyList<Recomputed> Inference(int start, int end, IReadOnlyList<InferenceStep> steps, TensorCompression compression, WeightQuantization weights = WeightQuantization.None,
        SignedRouting? routing = null)
    {
        var inputs = steps.Select(s => Batch(s.Hidden)).ToList();
        if (inputs.Any(i => i.shape[0] != inputs[0].shape[0]))
            throw new FormatException("the session's steps do not share one batch size");
        if (steps.Skip(1).Any(s => s.SessionAdapter is not null || s.SessionPrompts is not null))
            throw new FormatException("only step 0 of a session carries its adapter and prompts");
        if (routing is not null && routing.Steps.Count != steps.Count)
            throw new ArgumentException($"the signed routing covers {routing.Steps.Count} steps of {steps.Count}");
        var blocks = Span(start, end, weights);
        using var adapter = Adapter(steps.Count == 0 ? null : steps[0].SessionAdapter, (uint)start, (uint)end);
        var prompts = steps.Count == 0 ? null : DecodeOptional(steps[0].SessionPrompts);
        var outputs = new Recomputed[inputs.Count];
        // The inputs of the positions the session holds (with their signed routing, per block), and the steps since the last pass (the tail of those positions).
        var held = new List<Tensor>();
        var heldRouting = new List<IReadOnlyList<Tensor>>();
        long length = 0, replayed = 0;
        var pending = new List<int>();
        IReadOnlyList<Tensor> Joined() => Enumerable.Range(0, end - start).Select(b => cat(heldRouting.Select(r => r[b]).ToList(), 1)).ToList();
        void Pass()
        {
            if (pending.Count == 0) return;
            replayed += length;
            CheckPositions(inputs[0].shape[0], length);
            CheckPositions(inputs[0].shape[0], replayed);
            using var margins = RouterMargins.Observe();
            using var experts = Routing(routing is null ? null : Joined(), routing?.Slack ?? 0);
            // The prompts cover positions [0, prefix) of the session, so a pass over fewer positions takes their first rows.
            var all = Shaped(() => blocks.Forward(cat(held, 1), prompts?.narrow(1, 0, Math.Min(prompts.shape[1], length)), adapter));
            var taken = experts is null ? null : RoutedExperts.From(experts.Chosen);
            foreach (var i in pending)
            {
                var (position, count) = ((int)steps[i].Position, (int)inputs[i].shape[1]);
                outputs[i] = Routed(Encode(all.narrow(1, position, count), compression), taken, experts?.Deficit, position, count) with { RouterMargin = margins.SmallestBefore(position + count) };
            }
            pending.Clear();
        }
        for (var i = 0; i < inputs.Count; i++)
        {
            var position = steps[i].Position;
            if (position > length)
                throw new FormatException($"step {i} starts at position {position} but the session holds only {length}");
            if (position < length)
            {
                Pass();
                var kept = cat(held, 1).narrow(1, 0, position);
                var keptRouting = routing is null ? null : Joined().Select(r => r.narrow(1, 0, position)).ToList();
                held.Clear();
                heldRouting.Clear();
                if (position > 0)
                {
                    held.Add(kept);
                    if (keptRouting is not null) heldRouting.Add(keptRouting);
                }
                length = position;
            }
            held.Add(inputs[i]);
            if (routing is not null) heldRouting.Add(routing.Steps[i].ToTensors());
            length += inputs[i].shape[1];
            pending.Add(i);
        }
        Pass();
        return outputs;
    }

    /// <summary>
    /// The routing of a mixture-of-experts replay: following <paramref name="signed"/> (per block, for every token) within
    /// <paramref name="slack"/> of the verifier's own top-k, or recording the verifier's own; null for a dense model.
    /// </summary>
    private ExpertRouting? Routing(IReadOnlyList<Tensor>? signed, double slack) =>
        !checkpoint.Config.IsMixtureOfExperts ? null : signed is null ? ExpertRouting.Record() : ExpertRouting.Follow(signed, slack);

    /// <summary>
    /// <paramref name="output"/> with the routing its tokens (positions [from, +count) of the pass) took, and how far the
    /// signed routing was from a top-k there (<paramref name="deficit"/> per token of the pass; null when not following).
    /// </summary>
    private static Recomputed Routed(Recomputed output, RoutedExperts? taken, Tensor? deficit, int from, int count) =>
        taken is null ? output : output with
        {
            Routing = taken.PositionRange(from, count),
            RoutingDeficit = deficit is null ? 0 : deficit.narrow(-1, from, count).max().item<float>(),
        };

    /// <summary>
    /// A forward request's output, with its deep prompts and LoRA adapter when it carried any. The adapter is part of the
    /// signed request, so an adapter request is replayed with it: replaying it without would flag an honest provider.
    /// </summary>
    /// <remarks>A mixture-of-experts forward is replayed with the provider's signed routing when <paramref name="routing"/> gives it (one step), else with the verifier's own.</remarks>
    public Recomputed Forward(ForwardRequest request, WeightQuantization weights = WeightQuantization.None, SignedRouting? routing = null)
    {
        var (blocks, hidden, prompts) = (Span((int)request.BlockStart, (int)request.BlockEnd, weights), Batch(request.Hidden), DecodeOptional(request.Prompts));
        CheckPositions(hidden.shape[0], hidden.shape[1]);
        if (routing is not null && routing.Steps.Count != 1) throw new ArgumentException("a forward request's signed routing is one step");
        using var margins = RouterMargins.Observe();
        using var experts = Routing(routing?.Steps[0].ToTensors(), routing?.Slack ?? 0);
        using var adapter = Adapter(request.Adapter, request.BlockStart, request.BlockEnd);
        var output = Encode(Shaped(() => blocks.Forward(hidden, prompts, adapter)), request.OutputCompression);
        var taken = experts is null ? null : RoutedExperts.From(experts.Chosen);
        return Routed(output, taken, experts?.Deficit, 0, (int)hidden.shape[1]) with { RouterMargin = margins.SmallestBefore(hidden.shape[1]) };
    }

    /// <summary>
    /// A backward request's gradients, with its deep prompts and LoRA adapter when it carried any: the input's, the
    /// prompts' and the adapter's, each what the provider must answer (all of them reach the client's optimizer).
    /// </summary>
    /// <remarks>A mixture-of-experts backward is replayed with the provider's signed routing when <paramref name="routing"/> gives it (one step), else with the verifier's own.</remarks>
    public RecomputedBackward Backward(BackwardRequest request, WeightQuantization weights = WeightQuantization.None, SignedRouting? routing = null)
    {
        var (blocks, hidden, prompts, outputGradient) = (Span((int)request.BlockStart, (int)request.BlockEnd, weights), Batch(request.Hidden), DecodeOptional(request.Prompts), Decode(request.OutputGradient));
        CheckPositions(hidden.shape[0], hidden.shape[1]);
        if (!outputGradient.shape.SequenceEqual(hidden.shape)) throw new FormatException("the output gradient's shape is not the input's");
        if (routing is not null && routing.Steps.Count != 1) throw new ArgumentException("a backward request's signed routing is one step");
        using var margins = RouterMargins.Observe();
        using var experts = Routing(routing?.Steps[0].ToTensors(), routing?.Slack ?? 0);
        using var adapter = Adapter(request.Adapter, request.BlockStart, request.BlockEnd);
        // Not disposed here: its tensors are in the caller's dispose scope and go into the result.
        var gradients = Shaped(() => blocks.Backward(hidden, prompts, outputGradient, adapter: adapter));
        var taken = experts is null ? null : RoutedExperts.From(experts.Chosen);
        var input = Routed(Encode(gradients.Input, request.OutputCompression), taken, experts?.Deficit, 0, (int)hidden.shape[1]) with { RouterMargin = margins.SmallestBefore(hidden.shape[1]) };
        return new RecomputedBackward(input, gradients.Prompts is { } p ? Encode(p, request.OutputCompression) : null, gradients.Adapter);
    }

    /// <summary>The request's adapter, within the verifier's tensor bound, or null; one that does not fit the blocks is a <see cref="TensorFormatException"/> (not checkable).</summary>
    private LoraAdapter? Adapter(LoraTensors? message, uint start, uint end) =>
        message is null ? null : LoraCodec.Decode(message, checkpoint.Config, (int)start, (int)end, limits.MaxElements);

    /// <summary>Hidden states of [batch, length, hidden size].</summary>
    private Tensor Batch(SerializedTensor? message)
    {
        var hidden = Decode(message);
        if (hidden.shape.Length != 3 || hidden.shape[2] != checkpoint.Config.HiddenSize)
            throw new FormatException($"hidden states of shape [{string.Join(", ", hidden.shape)}] do not fit hidden size {checkpoint.Config.HiddenSize}");
        return hidden;
    }

    /// <summary>Positions must be ones the model has, and batch × positions within the verifier's bound (attention is quadratic in positions).</summary>
    private void CheckPositions(long batch, long positions)
    {
        if (positions < 1 || positions > checkpoint.Config.MaxPositionEmbeddings)
            throw new FormatException($"{positions} positions; the model has {checkpoint.Config.MaxPositionEmbeddings}");
        if (batch < 1 || batch * positions > maxTokens)
            throw new FormatException($"batch {batch} × {positions} positions exceeds the verifier's bound of {maxTokens} tokens");
    }

    private Tensor? DecodeOptional(SerializedTensor? message) => message is null ? null : Decode(message);

    /// <summary>Tensors of inconsistent shapes in a signed request are a malformed payload, not a verifier fault.</summary>
    private static T Shaped<T>(Func<T> compute)
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

    private static Recomputed Encode(Tensor output, TensorCompression compression) => new(TensorCodec.Encode(output, compression), output);

    /// <summary>The model the verifier replays (mixture-of-experts or not, its experts per token).</summary>
    public Model.Configuration.ModelConfig Config => checkpoint.Config;

    private BlockSpan Span(int start, int end, WeightQuantization weights)
    {
        if (start < 0 || end > checkpoint.Config.NumLayers || start >= end) throw new FormatException($"blocks [{start}, {end}) are not in the model");
        lock (_lock)
        {
            for (var node = _loaded.First; node is not null; node = node.Next)
            {
                if (node.Value.Start > start || node.Value.End < end || node.Value.Weights != weights) continue;
                _loaded.Remove(node);
                _loaded.AddFirst(node);
                return node.Value.Blocks.Slice(start, end);
            }
            var blocks = BlockSpan.Load(checkpoint, start, end, new BlockLoadOptions { Quantization = weights });
            _loaded.AddFirst((start, end, weights, blocks));
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
        foreach (var (_, _, _, blocks) in _loaded) blocks.Dispose();
        _loaded.Clear();
    }
}
