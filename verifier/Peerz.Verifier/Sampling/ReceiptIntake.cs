using System.Collections.Concurrent;
using System.Numerics;
using System.Threading.Channels;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Protocol.Payments;
using Peerz.Verifier.Providers;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// Takes reported receipts in: a reporter that sent too many refused reports is turned away first, then whether the receipt is evidence at all (signed by a
/// key the named provider owns, for our model), then the fixed sampling decision, then, for sampled receipts, whether
/// it can still be checked (provider registered with a peer id, within its retention window). Only sampled receipts
/// enter the bounded queue, and once it is full new ones are refused instead of older ones dropped, so junk cannot push
/// real reports out. A receipt queued or judged before is acknowledged without being queued again.
/// </summary>
public sealed class ReceiptIntake(ReceiptVerifier verifier, ProviderResolver providers, SamplingDecision sampling, ReporterRateLimit rateLimit, VerifierLedger ledger,
    BigInteger chainId, Address registry, int capacity)
{
    private readonly Channel<SignedReceipt> _queue = Channel.CreateBounded<SignedReceipt>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
    private readonly ConcurrentDictionary<string, byte> _queued = new();

    /// <summary>Sampled receipts, in the order they were taken.</summary>
    public ChannelReader<SignedReceipt> Queue => _queue.Reader;

    public int Count => _queue.Reader.Count;

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

    private async Task<IntakeResult> TakeAsync(SignedReceipt receipt, CancellationToken cancellationToken)
    {
        var digest = receipt.Receipt.Digest(chainId, registry);
        var key = Hex.Encode(digest);
        if (_queued.ContainsKey(key)) return new(IntakeStatus.Duplicate, "already queued");
        // Signature first: a claim no key of the named provider signed costs no chain or DHT lookup of that provider.
        if (await verifier.NotEvidenceAsync(receipt, cancellationToken) is { } notEvidence) return new(IntakeStatus.Refused, notEvidence.Detail);
        Evidence?.Invoke(receipt);
        if (!sampling.IsSampled(digest)) return new(IntakeStatus.NotSampled, "not sampled");
        if (verifier.NotCheckable(await providers.ResolveAsync(receipt.Receipt.Provider, cancellationToken), receipt) is { } notCheckable)
            return new(IntakeStatus.Refused, notCheckable.Detail);
        if (await ledger.StateAsync(digest, cancellationToken) is not null) return new(IntakeStatus.Duplicate, "already checked");
        if (!_queued.TryAdd(key, 0)) return new(IntakeStatus.Duplicate, "already queued");
        if (_queue.Writer.TryWrite(receipt)) return new(IntakeStatus.Queued, "queued for checking");
        _queued.TryRemove(key, out _);
        return new(IntakeStatus.QueueFull, "the verifier's queue is full; report again later");
    }

    /// <summary>Marks a receipt taken off the queue as no longer queued (it is in the ledger once checked).</summary>
    public void Dequeued(SignedReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        _queued.TryRemove(Hex.Encode(receipt.Receipt.Digest(chainId, registry)), out _);
    }
}
