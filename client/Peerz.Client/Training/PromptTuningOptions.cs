namespace Peerz.Client.Training;

public sealed record PromptTuningOptions
{
    /// <summary>Adam's step size.</summary>
    public double LearningRate { get; init; } = 0.01;
    /// <summary>A step whose route loses providers beyond what the batch split absorbs is re-run this many times on a fresh route.</summary>
    public int MaxStepAttempts { get; init; } = 3;
}
