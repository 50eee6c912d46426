using System.Numerics;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rpc;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// Decides which receipts to check (each independently with probability <c>rate</c>, so a provider cannot tell
/// which of its answers will be checked), checks them, records every verdict, and slashes on fraud with the
/// provider's own signed receipt as evidence. The same receipt is never checked twice.
/// </summary>
public sealed class VerifierService(ReceiptVerifier verifier, VerifierLedger ledger, ProviderRegistry registry, BigInteger chainId, double rate, Random random,
    ILogger<VerifierService> logger)
{
    private readonly Lock _randomLock = new();

    /// <summary>Raised after every check (for metrics and tests).</summary>
    public event Action<ReportedReceipt, VerificationOutcome>? Checked;

    /// <summary>Samples the report; returns the outcome if it was checked, null if it was not sampled or already checked.</summary>
    public async Task<VerificationOutcome?> ConsiderAsync(ReportedReceipt report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        bool sampled;
        lock (_randomLock) sampled = random.NextDouble() < rate;
        return sampled ? await CheckAsync(report, cancellationToken) : null;
    }

    /// <summary>Checks the report now, whatever the sampling rate.</summary>
    public async Task<VerificationOutcome?> CheckAsync(ReportedReceipt report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var digest = report.Receipt.Receipt.Digest(chainId, registry.Address);
        if (await ledger.HasCheckedAsync(digest, cancellationToken)) return null;
        var outcome = await verifier.VerifyAsync(report.Provider, report.Receipt, cancellationToken);
        await ledger.RecordAsync(digest, report.Provider.Account, outcome, cancellationToken);
        Checked?.Invoke(report, outcome);
        if (!outcome.IsFraud)
        {
            logger.LogDebug("receipt {Digest} of {Provider}: {Verdict} ({Detail})", Hex.Encode(digest), report.Provider.Account, outcome.Verdict, outcome.Detail);
            return outcome;
        }
        logger.LogWarning("fraud by {Provider} ({Peer}): {Verdict}, {Detail}; slashing", report.Provider.Account, report.Provider.PeerId, outcome.Verdict, outcome.Detail);
        await SlashAsync(Address.Parse(report.Provider.Account), outcome, digest, cancellationToken);
        return outcome;
    }

    private async Task SlashAsync(Address provider, VerificationOutcome outcome, byte[] digest, CancellationToken cancellationToken)
    {
        var evidence = outcome.Evidence!;
        try
        {
            // TODO(verifier helper): the recomputed output hash and the Unavailable fault after repeated failed fetches.
            var fault = outcome.Verdict == VerificationVerdict.MissingPayload ? SlashFault.Unavailable : SlashFault.WrongOutput;
            var recomputed = fault == SlashFault.Unavailable ? new byte[32] : Keccak.Hash(outcome.Detail);
            var receipt = await registry.ProposeSlashAsync(evidence.Receipt, evidence.Signature, fault, recomputed, Keccak.Hash(outcome.Detail), cancellationToken);
            var hash = Hex.Encode(receipt.TransactionHash);
            await ledger.RecordSlashAsync(digest, hash, cancellationToken);
            logger.LogWarning("slashed {Provider} in {Transaction}", provider, hash);
        }
        catch (ContractRevertException e)
        {
            logger.LogWarning("the slash of {Provider} was refused on chain: {Reason}", provider, e.Reason.Message);
        }
    }
}
