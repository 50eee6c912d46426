namespace Peerz.Model.Training;

/// <summary>How <see cref="TinyTrainer"/> trains: AdamW, linear warm-up then cosine decay to a tenth of the peak rate.</summary>
public sealed record TrainingOptions
{
    public int Steps { get; init; } = 600;

    public int BatchSize { get; init; } = 16;

    /// <summary>Tokens per training window (each window predicts its next token at every position).</summary>
    public int SequenceLength { get; init; } = 128;

    public double LearningRate { get; init; } = 3e-3;

    public int WarmupSteps { get; init; } = 100;

    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Seeds the choice of training windows.</summary>
    public ulong Seed { get; init; } = 42;

    public void Validate()
    {
        if (Steps < 1 || BatchSize < 1 || SequenceLength < 2 || WarmupSteps < 0)
            throw new ArgumentException("steps, batch size and warm-up must be positive and the sequence length at least 2");
        if (LearningRate is <= 0 or > 1 || WeightDecay is < 0 or >= 1)
            throw new ArgumentException("the learning rate must be in (0, 1] and the weight decay in [0, 1)");
    }

    /// <summary>The rate at <paramref name="step"/> (0-based).</summary>
    public double RateAt(int step)
    {
        if (step < WarmupSteps) return LearningRate * (step + 1) / WarmupSteps;
        var progress = (double)(step - WarmupSteps) / Math.Max(1, Steps - WarmupSteps);
        return LearningRate * (0.1 + (0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress))));
    }
}
