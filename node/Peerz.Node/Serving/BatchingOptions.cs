namespace Peerz.Node.Serving;

/// <summary>
/// How a provider batches concurrent sessions' decode steps into one forward pass (see <see cref="DecodeBatcher"/>).
/// A zero <see cref="Window"/> disables batching: every step then runs alone, as it arrives.
/// </summary>
public sealed record BatchingOptions
{
    public static BatchingOptions Disabled { get; } = new() { Window = TimeSpan.Zero };

    /// <summary>How long the first queued step waits for others to join it; the latency a lone session pays per step.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Sessions (one step each) in one forward pass.</summary>
    public int MaxBatch { get; init; } = 16;

    /// <summary>Steps that may wait for a batch; one more is refused with BUSY rather than queued without bound.</summary>
    public int MaxQueued { get; init; } = 64;

    public bool Enabled => Window > TimeSpan.Zero;
}
