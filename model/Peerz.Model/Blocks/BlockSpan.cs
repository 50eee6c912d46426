using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// The consecutive transformer blocks [Start, End) of a model: what one provider serves.
/// Hidden states go in and come out as [batch, length, hidden] in the caller's dtype; all rows of
/// a batch share positions (the Petals convention).
/// </summary>
public sealed class BlockSpan : IDisposable
{
    private readonly IReadOnlyList<IDecoderBlock> _blocks;
    private readonly RotaryEmbedding? _rotary;
    private readonly bool _ownsBlocks;

    /// <param name="owner">The span a slice shares its blocks (and rotary table) with; null for a span that owns them.</param>
    private BlockSpan(ModelConfig config, int start, IReadOnlyList<IDecoderBlock> blocks, BlockLoadOptions options, BlockSpan? owner = null)
    {
        Config = config;
        Start = start;
        _blocks = blocks;
        Options = options;
        _ownsBlocks = owner is null;
        // ALiBi models (BLOOM) bias attention scores instead of rotating queries and keys.
        _rotary = owner is not null ? owner._rotary : config.Alibi ? null : new RotaryEmbedding(config);
    }

    public ModelConfig Config { get; }

    public int Start { get; }

    public int End => Start + _blocks.Count;

    public BlockLoadOptions Options { get; }

    public long WeightBytes => _blocks.Sum(b => b.WeightBytes);

    /// <summary>Loads blocks [start, end) only; <paramref name="progress"/> receives the count of blocks loaded so far.</summary>
    public static BlockSpan Load(Checkpoint checkpoint, int start, int end, BlockLoadOptions? options = null, IProgress<int>? progress = null)
    {
        var config = checkpoint.Config;
        if (start < 0 || end > config.NumLayers || start >= end)
            throw new ArgumentOutOfRangeException(nameof(start), $"span [{start}, {end}) is not inside the model's {config.NumLayers} blocks");
        options ??= BlockLoadOptions.Default;
        var blocks = new List<IDecoderBlock>(end - start);
        try
        {
            for (var index = start; index < end; index++)
            {
                blocks.Add(config.ModelType switch
                {
                    BloomConfig.ModelType => BloomBlock.Load(checkpoint, index, options),
                    FalconConfig.ModelType => FalconBlock.Load(checkpoint, index, options),
                    _ => TransformerBlock.Load(checkpoint, index, options),
                });
                progress?.Report(blocks.Count);
            }
        }
        catch
        {
            foreach (var block in blocks) block.Dispose();
            throw;
        }
        return new BlockSpan(config, start, blocks, options);
    }

    /// <summary>
    /// The blocks [start, end) of this span, sharing its weights (no copy). Clients may route
    /// through part of a provider's span; disposing a slice leaves the weights to their owner.
    /// </summary>
    public BlockSpan Slice(int start, int end)
    {
        if (start < Start || end > End || start >= end)
            throw new ArgumentOutOfRangeException(nameof(start), $"blocks [{start}, {end}) are not inside this span [{Start}, {End})");
        if (start == Start && end == End && !_ownsBlocks) return this;
        return new BlockSpan(Config, start, _blocks.Skip(start - Start).Take(end - start).ToArray(), Options, this);
    }

    /// <summary>Runs the span over a whole sequence without a cache (training, verification, prefill checks).</summary>
    public Tensor Forward(Tensor hidden, int startPosition = 0) => Run(hidden, startPosition, caches: null);

    /// <summary>
    /// Runs the span over a whole sequence from position 0 with autograd on, so a loss can be differentiated with
    /// respect to the span's own weights (training the default model, <see cref="Training.TinyTrainer"/>).
    /// </summary>
    public Tensor ForwardWithGradients(Tensor hidden)
    {
        CheckHidden(hidden);
        using var gradMode = enable_grad();
        return RunBlocks(hidden.to_type(Options.DType), 0, caches: null);
    }

    /// <summary>
    /// Runs the span over a whole sequence from position 0 with deep prompts (Petals' deep prompt
    /// tuning): <paramref name="prompts"/>[i] ([blocks, prefix, hidden]) is added to the first
    /// prefix positions of block i's input, for every row of the batch. Null means no prompts.
    /// <paramref name="adapter"/> adds its LoRA updates to the projections it targets (base weights untouched).
    /// </summary>
    public Tensor Forward(Tensor hidden, Tensor? prompts, LoraAdapter? adapter = null)
    {
        CheckPrompts(hidden, prompts);
        CheckAdapter(adapter);
        return Run(hidden, 0, caches: null, prompts, adapter);
    }

    /// <summary>
    /// Gradient of &lt;outputGradient, span(hidden)&gt; with respect to <paramref name="hidden"/>: what a
    /// client needs to push gradients through this span to its soft prompts. Weights stay frozen.
    /// </summary>
    public Tensor Backward(Tensor hidden, Tensor outputGradient, int startPosition = 0)
    {
        using var gradients = Backward(hidden, null, outputGradient, startPosition);
        return gradients.TakeInput();
    }

    /// <summary>
    /// Gradients of &lt;outputGradient, span(hidden, prompts, adapter)&gt; with respect to the span's input and,
    /// when given, its deep prompts (summed over the batch, since every row shares them) and its LoRA weights
    /// (an adapter of the same layout, in float32). The base weights stay frozen.
    /// </summary>
    public SpanGradients Backward(Tensor hidden, Tensor? prompts, Tensor outputGradient, int startPosition = 0, LoraAdapter? adapter = null)
    {
        CheckHidden(hidden);
        CheckPrompts(hidden, prompts);
        CheckAdapter(adapter);
        if (!outputGradient.shape.SequenceEqual(hidden.shape))
            throw new ArgumentException($"output gradient shape [{string.Join(", ", outputGradient.shape)}] must equal the hidden states' shape [{string.Join(", ", hidden.shape)}]");
        using var scope = NewDisposeScope();
        using var gradMode = enable_grad();
        var input = hidden.detach().to_type(Options.DType).requires_grad_(true);
        var promptInput = prompts?.detach().to_type(Options.DType).requires_grad_(true);
        var trainable = adapter?.TrainableCopy(Options.DType);
        var output = RunBlocks(input, startPosition, caches: null, promptInput, trainable);
        var wrt = new List<Tensor> { input };
        if (promptInput is not null) wrt.Add(promptInput);
        if (trainable is not null) wrt.AddRange(trainable.Parameters());
        var gradients = autograd.grad([output], wrt, [outputGradient.to_type(Options.DType)]);
        var adapterGradients = trainable?.WithTensors(gradients.Skip(wrt.Count - trainable.Weights.Count * 2)
            .Select(g => g.to_type(ScalarType.Float32).MoveToOuterDisposeScope()).ToList());
        return new SpanGradients(
            gradients[0].to_type(hidden.dtype).MoveToOuterDisposeScope(),
            prompts is null ? null : gradients[1].to_type(prompts.dtype).MoveToOuterDisposeScope(),
            adapterGradients);
    }

    /// <param name="adapter">
    /// LoRA weights applied at every step (so the KV cache holds adapted keys and values); the session owns it, and its
    /// bytes are reserved from <paramref name="budget"/> with the cache, so adapters cannot grow a provider's memory past it.
    /// </param>
    /// <param name="prompts">
    /// Deep prompts [blocks, prefix, hidden] for this span's blocks, added to block i's input at positions below prefix
    /// in whichever steps reach them (as <see cref="Forward"/> adds them to a whole sequence); owned by the session, and
    /// reserved from the budget like an adapter. Prefix must not exceed <paramref name="maxLength"/>.
    /// </param>
    public InferenceSession OpenSession(int batchSize, int maxLength, KvCacheBudget budget, LoraAdapter? adapter = null, Tensor? prompts = null)
    {
        CheckAdapter(adapter);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        if (maxLength > Config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(maxLength), $"max length {maxLength} exceeds the model's {Config.MaxPositionEmbeddings} positions");
        CheckPromptShape(prompts);
        if (prompts is not null && prompts.shape[1] > maxLength)
            throw new ArgumentException($"deep prompts cover {prompts.shape[1]} positions but the session holds only {maxLength}");
        var bytes = CacheBytes(batchSize, maxLength) + (adapter?.Bytes ?? 0) + (prompts is null ? 0 : prompts.NumberOfElements * prompts.ElementSize);
        var lease = budget.Reserve(bytes);
        return new InferenceSession(this, batchSize, maxLength, lease, adapter, prompts);
    }

    public long CacheBytes(int batchSize, int maxLength) =>
        _blocks.Count * LayerKvCache.BytesFor(batchSize, Config.NumKeyValueHeads, maxLength, Config.HeadDim, Options.DType);

    internal LayerKvCache[] AllocateCaches(int batchSize, int maxLength) =>
        _blocks.Select(_ => new LayerKvCache(batchSize, Config.NumKeyValueHeads, maxLength, Config.HeadDim, Options.DType)).ToArray();

    internal Tensor Run(Tensor hidden, int startPosition, LayerKvCache[]? caches, Tensor? prompts = null, LoraAdapter? adapter = null)
    {
        CheckHidden(hidden);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = RunBlocks(hidden.to_type(Options.DType), startPosition, caches, prompts?.to_type(Options.DType), adapter);
        return output.to_type(hidden.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>True when sessions of both spans run on the very same weights, so their decode steps can share a forward pass.</summary>
    internal bool SharesBlocksWith(BlockSpan other) => Start == other.Start && End == other.End && ReferenceEquals(_blocks[0], other._blocks[0]);

    /// <summary>
    /// One decode position for each of N sessions: <paramref name="hidden"/> is [N, 1, hidden] in the span's dtype, row i
    /// at <paramref name="positions"/>[i] with the caches <paramref name="caches"/>[i] (one per block).
    /// </summary>
    internal Tensor RunDecodeBatch(Tensor hidden, int[] positions, LayerKvCache[][] caches)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rotary = _rotary?.Angles(positions, Options.DType);
        for (var i = 0; i < _blocks.Count; i++)
            hidden = _blocks[i].ForwardDecodeBatch(hidden, positions, rotary, caches.Select(c => c[i]).ToArray());
        return hidden.MoveToOuterDisposeScope();
    }

    private Tensor RunBlocks(Tensor hidden, int startPosition, LayerKvCache[]? caches, Tensor? prompts = null, LoraAdapter? adapter = null)
    {
        var rotary = _rotary?.Angles(startPosition, hidden.shape[1], Options.DType);
        for (var i = 0; i < _blocks.Count; i++)
        {
            if (prompts is not null && startPosition < prompts.shape[1])
            {
                // Block i's prompt rows for this pass's positions [start, start + length), zero-padded past the prefix;
                // they broadcast over the batch.
                var prompt = prompts[i].narrow(0, startPosition, Math.Min(prompts.shape[1] - startPosition, hidden.shape[1]));
                hidden = hidden + nn.functional.pad(prompt, [0, 0, 0, hidden.shape[1] - prompt.shape[0]]);
            }
            hidden = _blocks[i].Forward(hidden, startPosition, rotary, caches?[i], adapter?.ForBlock(Start + i));
        }
        return hidden;
    }

    private void CheckPrompts(Tensor hidden, Tensor? prompts)
    {
        CheckPromptShape(prompts);
        if (prompts is not null && hidden.ndim == 3 && prompts.shape[1] > hidden.shape[1])
            throw new ArgumentException($"deep prompts cover {prompts.shape[1]} positions but the sequence has only {hidden.shape[1]}");
    }

    private void CheckPromptShape(Tensor? prompts)
    {
        if (prompts is null) return;
        if (prompts.ndim != 3 || prompts.shape[0] != _blocks.Count || prompts.shape[2] != Config.HiddenSize || prompts.shape[1] < 1)
            throw new ArgumentException($"deep prompts must be [{_blocks.Count}, prefix, {Config.HiddenSize}], got [{string.Join(", ", prompts.shape)}]");
        if (!prompts.is_floating_point())
            throw new ArgumentException($"deep prompts must be floating point, got {prompts.dtype}");
    }

    /// <summary>An adapter must only name this span's blocks and projections the model has, in the right shapes.</summary>
    private void CheckAdapter(LoraAdapter? adapter) => adapter?.Validate(Config, Start, End);

    private void CheckHidden(Tensor hidden)
    {
        if (hidden.ndim != 3 || hidden.shape[2] != Config.HiddenSize)
            throw new ArgumentException($"hidden states must be [batch, length, {Config.HiddenSize}], got [{string.Join(", ", hidden.shape)}]");
        if (!hidden.is_floating_point())
            throw new ArgumentException($"hidden states must be floating point, got {hidden.dtype}");
    }

    public void Dispose()
    {
        if (!_ownsBlocks) return;
        foreach (var block in _blocks) block.Dispose();
        _rotary?.Dispose();
    }
}
