using System.Collections.Concurrent;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// A token bucket per reporter (its remote address): <paramref name="burst"/> tokens, refilled at
/// <paramref name="perMinute"/>. Intake charges a token for each report it refuses (a signer it has to look up on
/// chain, another model, a receipt it cannot check), and turns a reporter away while its bucket is empty: junk costs
/// the verifier a chain read at most <paramref name="perMinute"/> times a minute per reporter, while a busy honest
/// client reporting valid receipts is never slowed. Idle reporters are forgotten once <paramref name="maxReporters"/> are tracked.
/// </summary>
public sealed class ReporterRateLimit(double perMinute, int burst, TimeProvider time, int maxReporters = 100_000)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new();

    /// <summary>True while the reporter has no token left.</summary>
    public bool IsLimited(string reporter) => Refill(reporter, take: false) < 1;

    /// <summary>Takes a token for a refused report.</summary>
    public void Charge(string reporter) => Refill(reporter, take: true);

    private double Refill(string reporter, bool take)
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
            if (take) bucket.Tokens = Math.Max(0, bucket.Tokens - 1);
            return bucket.Tokens;
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
