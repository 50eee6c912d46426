namespace Peerz.Verifier.Sampling;

/// <summary>A probe's result: the verdict on its receipt, or why there was none.</summary>
public sealed record ProbeResult(Verification.VerificationOutcome? Outcome, string Detail);
