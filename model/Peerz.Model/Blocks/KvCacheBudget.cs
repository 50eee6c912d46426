namespace Peerz.Model.Blocks;

/// <summary>
/// A byte budget shared by all inference sessions of a span. Sessions reserve their whole cache up
/// front, so a session either fits or is refused at open; it never fails half-way through decoding.
/// </summary>
public sealed class KvCacheBudget(long capacityBytes)
{
    private readonly Lock _lock = new();
    private long _usedBytes;

    public long CapacityBytes { get; } = capacityBytes >= 0 ? capacityBytes : throw new ArgumentOutOfRangeException(nameof(capacityBytes));

    public long UsedBytes
    {
        get { lock (_lock) return _usedBytes; }
    }

    public long FreeBytes => CapacityBytes - UsedBytes;

    public Lease Reserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_lock)
        {
            if (bytes > CapacityBytes - _usedBytes)
                throw new CacheBudgetExceededException(bytes, CapacityBytes - _usedBytes, CapacityBytes);
            _usedBytes += bytes;
        }
        return new Lease(this, bytes);
    }

    private void Release(long bytes)
    {
        lock (_lock) _usedBytes -= bytes;
    }

    public sealed class Lease(KvCacheBudget budget, long bytes) : IDisposable
    {
        private int _released;

        public long Bytes { get; } = bytes;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) budget.Release(Bytes);
        }
    }
}

public sealed class CacheBudgetExceededException(long requested, long free, long capacity)
    : InvalidOperationException($"KV cache needs {requested} bytes but only {free} of {capacity} are free; use a shorter max length or retry later")
{
    public long RequestedBytes { get; } = requested;
}
