using System.Collections.Concurrent;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// A token bucket per reporter (its remote address): <paramref name="burst"/> reports at once, refilled at
/// <paramref name="perMinute"/>. Reports cost a signature recovery and, for unknown providers, chain reads, so one
/// reporter cannot flood intake. Idle reporters are forgotten once <paramref name="maxReporters"/> are tracked.
/// </summary>
public sealed class ReporterRateLimit(double perMinute, int burst, TimeProvider time, int maxReporters = 100_000)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new();

    public bool TryTake(string reporter)
    {
        var now = time.GetUtcNow();
        if (_buckets.Count >= maxReporters) Forget(now);
        var bucket = _buckets.GetOrAdd(reporter, _ => new Bucket(burst, now));
        lock (bucket)
        {
            // A clock stepping back refills nothing (and must not drain the bucket either).
            if (now > bucket.At)
            {
                bucket.Tokens = Math.Min(burst, bucket.Tokens + (now - bucket.At).TotalMinutes * perMinute);
                bucket.At = now;
            }
            if (bucket.Tokens < 1) return false;
            bucket.Tokens -= 1;
            return true;
        }
    }

    /// <summary>Drops buckets that would be full again (their reporters have been quiet long enough to lose nothing).</summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var (reporter, bucket) in _buckets)
            if (bucket.Tokens + (now - bucket.At).TotalMinutes * perMinute >= burst) _buckets.TryRemove(reporter, out _);
    }

    private sealed class Bucket(double tokens, DateTimeOffset at)
    {
        public double Tokens { get; set; } = tokens;
        public DateTimeOffset At { get; set; } = at;
    }
}
