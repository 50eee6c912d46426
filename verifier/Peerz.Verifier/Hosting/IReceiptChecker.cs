using Peerz.Protocol.Payments;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Hosting;

/// <summary>Judges receipts and records the verdicts, as the checking and retry loops use it (<see cref="Sampling.VerifierService"/>).</summary>
public interface IReceiptChecker
{
    /// <summary>Checks the receipt now; null when it was already judged for good.</summary>
    Task<VerificationOutcome?> CheckAsync(SignedReceipt receipt, CancellationToken cancellationToken);

    /// <summary>Asks again for the payloads that could not be fetched; returns how many were checked.</summary>
    Task<int> RetryDueAsync(CancellationToken cancellationToken);
}
