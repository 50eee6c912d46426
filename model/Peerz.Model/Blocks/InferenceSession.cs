using Peerz.Model.Adapters;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// Incremental decoding through one span: each step's hidden states extend the session's KV cache.
/// The cache is reserved against the span's budget at open and released on dispose.
/// Not thread-safe: one step at a time, as a session's steps are ordered anyway.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly BlockSpan _span;
    private readonly KvCacheBudget.Lease _lease;
    private readonly LayerKvCache[] _caches;

    internal InferenceSession(BlockSpan span, int batchSize, int maxLength, KvCacheBudget.Lease lease, LoraAdapter? adapter, Tensor? prompts)
    {
        _span = span;
        Adapter = adapter;
        Prompts = prompts;
        _lease = lease;
        BatchSize = batchSize;
        MaxLength = maxLength;
        try
        {
            _caches = span.AllocateCaches(batchSize, maxLength);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    public int BatchSize { get; }

    public int MaxLength { get; }

    /// <summary>Positions processed so far (the next step starts here).</summary>
    public int Position { get; private set; }

    public long CacheBytes => _lease.Bytes;

    /// <summary>True once disposed: the session takes no more steps (schedulers stop waiting for it).</summary>
    public bool IsDisposed { get; private set; }

    internal BlockSpan Span => _span;

    /// <summary>The session's own LoRA weights (never shared with another session), or null.</summary>
    internal LoraAdapter? Adapter { get; }

    /// <summary>The session's own deep prompts [blocks, prefix, hidden], or null.</summary>
    internal Tensor? Prompts { get; }

    /// <summary>True for a session with its own adapter or prompts: its steps never share a pass with another session's.</summary>
    internal bool IsTuned => Adapter is not null || Prompts is not null;

    internal LayerKvCache[] Caches => _caches;

    /// <summary>
    /// The experts the last step routed its tokens to ([batch, the step's positions] per block), what a provider signs
    /// with that step's output; null for a dense model or before the first step.
    /// </summary>
    public RoutedExperts? LastRouting { get; private set; }

    public Tensor Step(Tensor hidden)
    {
        CheckStep(hidden);
        using var routing = _span.Config.IsMixtureOfExperts ? ExpertRouting.Record() : null;
        var output = _span.Run(hidden, Position, _caches, Prompts, Adapter);
        LastRouting = routing is null ? null : RoutedExperts.From(routing.Chosen);
        Position += (int)hidden.shape[1];
        return output;
    }

    /// <summary>Throws unless <paramref name="hidden"/> fits this session as its next step.</summary>
    internal void CheckStep(Tensor hidden)
    {
        if (hidden.ndim != 3 || hidden.shape[0] != BatchSize)
            throw new ArgumentException($"session expects [{BatchSize}, length, hidden] states, got [{string.Join(", ", hidden.shape)}]");
        var length = hidden.shape[1];
        if (length < 1 || Position + length > MaxLength)
            throw new SessionLengthExceededException(Position, length, MaxLength);
    }

    /// <summary>Records a step computed outside <see cref="Step"/> (by <see cref="BatchedDecode"/>), with its routing.</summary>
    internal void Advance(int length, RoutedExperts? routing)
    {
        Position += length;
        LastRouting = routing;
    }

    /// <summary>
    /// Drops positions [position, Position) from every cache, as speculative decoding does with rejected drafts:
    /// afterwards the session is what a fresh session fed only the first <paramref name="position"/> positions would be.
    /// </summary>
    public void Rollback(int position)
    {
        if (position < 0 || position > Position)
            throw new SessionRollbackException(position, Position);
        if (position == Position) return;
        foreach (var cache in _caches) cache.Truncate(position);
        Position = position;
    }

    /// <summary>Copies of every layer's cached keys and values over the positions seen (for tests).</summary>
    public IReadOnlyList<(Tensor Keys, Tensor Values)> SnapshotCaches() => _caches.Select(c => c.Snapshot(Position)).ToList();

    public void Dispose()
    {
        IsDisposed = true;
        foreach (var cache in _caches) cache.Dispose();
        _lease.Dispose();
        Adapter?.Dispose();
        Prompts?.Dispose();
    }
}

public sealed class SessionLengthExceededException(int position, long steps, int maxLength)
    : InvalidOperationException($"session at position {position} cannot take {steps} more tokens: its max length is {maxLength}");

public sealed class SessionRollbackException(int position, int seen)
    : ArgumentOutOfRangeException(nameof(position), $"cannot roll back to position {position}: the session has seen positions [0, {seen}) and a rollback must be within [0, {seen}]");
