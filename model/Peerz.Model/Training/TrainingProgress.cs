namespace Peerz.Model.Training;

/// <summary>One progress report of a training run: the step just taken, its loss (nats per token) and rate.</summary>
public sealed record TrainingProgress(int Step, int Steps, double Loss, double LearningRate, double TokensPerSecond);
