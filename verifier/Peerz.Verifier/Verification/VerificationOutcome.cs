namespace Peerz.Verifier.Verification;

/// <summary>What checking one receipt found.</summary>
public enum VerificationVerdict
{
    /// <summary>The payload matches the receipt and the recomputation, within tolerance.</summary>
    Honest,
    /// <summary>The provider's output is beyond tolerance from the recomputation: fraud.</summary>
    Mismatch,
    /// <summary>The provider did not hand over the payload (or handed bytes that do not match its receipts): a fault, treated as fraud.</summary>
    MissingPayload,
    /// <summary>The receipt itself is not evidence (not signed by the provider's registered key, or not our model): nothing to judge.</summary>
    NotEvidence,
}

/// <summary>
/// The verdict on one receipt. For fraud, <paramref name="Evidence"/> is the provider-signed receipt to slash with
/// (the exact step that failed, or the reported one when the payload is missing).
/// </summary>
public sealed record VerificationOutcome(VerificationVerdict Verdict, double Divergence, string Detail, Protocol.Payments.SignedReceipt? Evidence = null)
{
    public bool IsFraud => Verdict is VerificationVerdict.Mismatch or VerificationVerdict.MissingPayload;
}
