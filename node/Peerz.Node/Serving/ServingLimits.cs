namespace Peerz.Node.Serving;

/// <summary>Explicit bounds on what one provider accepts; every one is an option of peerz-provider.</summary>
public sealed record ServingLimits
{
    public int MaxSessions { get; init; } = 16;
    public long CacheBytes { get; init; } = 1L << 30;
    public int MaxMessageBytes { get; init; } = 64 << 20;
    public int MaxTokensPerStep { get; init; } = 2048;
    public int MaxBatchSize { get; init; } = 16;
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
