namespace Peerz.Verifier.Verification;

/// <summary>How far one gradient of a backward answer is from the recomputation (<see cref="Divergence.RelativeToLarger"/>).</summary>
public sealed record GradientDivergence(string Name, double Divergence);
