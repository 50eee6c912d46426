namespace Peerz.Chain.Rpc;

/// <summary>Limits for talking to a node.</summary>
public sealed record EthRpcOptions
{
    /// <summary>Time allowed for one HTTP attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra attempts after a transient failure (connection error, timeout, HTTP 429/502/503/504).</summary>
    public int MaxRetries { get; init; } = 3;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Larger answers are refused rather than buffered.</summary>
    public int MaxResponseBytes { get; init; } = 32 * 1024 * 1024;
}
