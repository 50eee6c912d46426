using Peerz.Protocol.Payments;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Probing;

/// <summary>A probe: its shape, the receipts it paid for, and the verdict on each (checked whatever the sampling rate).</summary>
public sealed record ProbeResult(ProbeShape Shape, IReadOnlyList<(SignedReceipt Receipt, VerificationOutcome? Outcome)> Checks, string Detail);
