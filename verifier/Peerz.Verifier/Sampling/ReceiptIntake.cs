using System.Numerics;
using System.Threading.Channels;
using Peerz.Chain.Crypto;
using Peerz.Protocol.Payments;
using Peerz.Verifier.Hosting;
using Peerz.Verifier.Providers;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// Takes reported receipts in: a reporter that sent too many refused reports is turned away first, then whether the receipt is evidence at all (signed by a
/// key the named provider owns, for our model), then the fixed sampling decision of its session, then, for sampled
/// sessions, whether the receipt can still be checked (provider registered with a peer id, within its retention window).
/// Only receipts of sampled sessions are kept, one per session (the latest step: its check compares every step), in the
/// bounded <see cref="PendingSessions"/>; once that is full new sessions are refused instead of older ones dropped, so
/// junk cannot push real reports out. A session is released to <see cref="Queue"/> once it is quiet
/// (<see cref="ReleaseDue"/>). A receipt queued, judged, or covered by the check of a later step is acknowledged
/// without being kept again.
/// </summary>
public sealed class ReceiptIntake(ReceiptVerifier verifier, ProviderResolver providers, SamplingDecision sampling, ReporterRateLimit rateLimit, VerifierLedger ledger,
    PendingSessions pending, BigInteger chainId, Address registry) : ICheckQueue
{
    private readonly SessionCheckQueue _checks = new(pending);

    /// <summary>Receipts of sampled sessions that are due for their check, in the order they were released.</summary>
    public ChannelReader<SignedReceipt> Queue => _checks.Queue;

    /// <summary>Sampled sessions pending or queued.</summary>
    public int Count => pending.Count;

    /// <summary>Raised for every report that is evidence (signed by the provider it names, our model), sampled or not: real traffic, for probe shapes.</summary>
    public event Action<SignedReceipt>? Evidence;

    public async Task<IntakeResult> SubmitAsync(string reporter, SignedReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        if (rateLimit.IsLimited(reporter)) return new(IntakeStatus.RateLimited, "too many refused reports from this address; slow down");
        var result = await TakeAsync(receipt, cancellationToken);
        if (result.Status == IntakeStatus.Refused) rateLimit.Charge(reporter);
        return result;
    }

    /// <summary>Moves the sessions now due (quiet long enough, or at their deadline) to <see cref="Queue"/>; returns how many.</summary>
    public int ReleaseDue() => _checks.ReleaseDue();

    /// <summary>After a receipt taken off the queue was checked: its session is done up to that step.</summary>
    public Task DequeuedAsync(SignedReceipt receipt, CancellationToken cancellationToken) => _checks.DequeuedAsync(receipt, cancellationToken);

    private async Task<IntakeResult> TakeAsync(SignedReceipt receipt, CancellationToken cancellationToken)
    {
        var key = SessionKey.Of(receipt.Receipt);
        if (pending.Holds(receipt, key)) return new(IntakeStatus.Duplicate, "already queued");
        // Signature first: a claim no key of the named provider signed costs no chain or DHT lookup of that provider.
        if (await verifier.NotEvidenceAsync(receipt, cancellationToken) is { } notEvidence) return new(IntakeStatus.Refused, notEvidence.Detail);
        Evidence?.Invoke(receipt);
        if (!sampling.IsSampled(receipt.Receipt)) return new(IntakeStatus.NotSampled, "not sampled");
        var provider = await providers.ResolveAsync(receipt.Receipt.Provider, cancellationToken);
        if (verifier.NotCheckable(provider, receipt) is { } notCheckable) return new(IntakeStatus.Refused, notCheckable.Detail);
        if (await ledger.StateAsync(receipt.Receipt.Digest(chainId, registry), cancellationToken) is not null) return new(IntakeStatus.Duplicate, "already checked");
        if (await ledger.SessionCheckedStepAsync(key, cancellationToken) >= receipt.Receipt.Step) return new(IntakeStatus.Duplicate, "covered by the check of a later step");
        return await pending.ReportAsync(receipt, key, provider!.Retention, cancellationToken);
    }
}
