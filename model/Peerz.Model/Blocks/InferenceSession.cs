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

    internal InferenceSession(BlockSpan span, int batchSize, int maxLength, KvCacheBudget.Lease lease)
    {
        _span = span;
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

    public Tensor Step(Tensor hidden)
    {
        if (hidden.ndim != 3 || hidden.shape[0] != BatchSize)
            throw new ArgumentException($"session expects [{BatchSize}, length, hidden] states, got [{string.Join(", ", hidden.shape)}]");
        var length = hidden.shape[1];
        if (length < 1 || Position + length > MaxLength)
            throw new SessionLengthExceededException(Position, length, MaxLength);
        var output = _span.Run(hidden, Position, _caches);
        Position += (int)length;
        return output;
    }

    public void Dispose()
    {
        foreach (var cache in _caches) cache.Dispose();
        _lease.Dispose();
    }
}

public sealed class SessionLengthExceededException(int position, long steps, int maxLength)
    : InvalidOperationException($"session at position {position} cannot take {steps} more tokens: its max length is {maxLength}");
