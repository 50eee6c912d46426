using Peerz.Protocol.Payments;

namespace Peerz.Verifier.Verification;

/// <summary>What checking one receipt found.</summary>
public enum VerificationVerdict
{
    /// <summary>The payload matches the receipt and the recomputation, within tolerance.</summary>
    Honest,
    /// <summary>The provider's output is beyond tolerance from the recomputation: fraud, provable by the recomputed output.</summary>
    Mismatch,
    /// <summary>
    /// The registered provider did not hand over the payload (or handed bytes that do not match its receipts). One such
    /// failure is not fraud: it counts towards an Unavailable challenge after several, spread over time.
    /// </summary>
    MissingPayload,
    /// <summary>The receipt itself is not evidence (not signed by a key the named provider owns, not our model, provider not registered): nothing to judge.</summary>
    NotEvidence,
    /// <summary>Evidence, but not checkable by this verifier (past the provider's retention window, inputs that do not fit the model, beyond the verifier's bounds): no fault either way.</summary>
    NotCheckable,
    /// <summary>The verifier itself failed (an unexpected exception, a recomputation over time): recorded, never a fault of the provider.</summary>
    Error,
}

/// <summary>
/// The verdict on one receipt. For a mismatch, <paramref name="Evidence"/> is the provider-signed receipt of the step
/// that failed and <paramref name="RecomputedOutputHash"/> the keccak256 of the response the provider should have sent
/// (its own response with the compared tensor replaced by the recomputed one, so an arbiter can rebuild it); for a
/// missing payload, Evidence is the reported receipt.
/// </summary>
public sealed record VerificationOutcome(VerificationVerdict Verdict, double Divergence, string Detail, SignedReceipt? Evidence = null, byte[]? RecomputedOutputHash = null)
{
    /// <summary>The tolerance the receipt was judged at (0 when it was not compared).</summary>
    public double Tolerance { get; init; }
}
