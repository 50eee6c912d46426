namespace Peerz.Model.Generation;

public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 32;
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;
    /// <summary>Generation stops after emitting any of these (typically the model's EOS ids).</summary>
    public IReadOnlySet<int> StopTokenIds { get; init; } = new HashSet<int>();
}
