namespace Peerz.Hosting;

/// <summary>
/// One read at a time, its result shared with every caller for <c>cacheFor</c> after it started: pages polling every few
/// seconds cost one read per period however many are open. The read is not tied to any caller's token (others wait for
/// it), so it must bound itself.
/// </summary>
public sealed class SharedRead<T>(Func<Task<T>> read, TimeSpan cacheFor, TimeProvider time)
{
    private readonly Lock _lock = new();
    private Task<T>? _current;
    private long _started;

    public Task<T> GetAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_current is null || (_current.IsCompleted && time.GetElapsedTime(_started) >= cacheFor))
            {
                _started = time.GetTimestamp();
                _current = read();
            }
            return _current.WaitAsync(cancellationToken);
        }
    }
}
