namespace Peerz.Node.Serving;

/// <summary>Explicit bounds on what one provider accepts; every one is an option of peerz-provider.</summary>
public sealed record ServingLimits
{
    public int MaxSessions { get; init; } = 16;
    /// <summary>Sessions one peer may hold open at once, so a single peer cannot take every slot.</summary>
    public int MaxSessionsPerPeer { get; init; } = 4;
    public long CacheBytes { get; init; } = 1L << 30;
    public int MaxMessageBytes { get; init; } = 64 << 20;
    public int MaxTokensPerStep { get; init; } = 2048;
    public int MaxBatchSize { get; init; } = 16;
    /// <summary>Values (A and B of every projection) one request's LoRA adapter may hold: 4 M is 16 MB of float32, rank 64 on q/v of a 7B model.</summary>
    public long MaxAdapterElements { get; init; } = 4L << 20;
    /// <summary>A session is closed this long after its last accepted step (refused steps do not keep it open).</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Batched decode across sessions; off unless asked for (peerz-provider turns it on by default).</summary>
    public BatchingOptions Batching { get; init; } = BatchingOptions.Disabled;
}
