using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rpc;
using Peerz.Protocol.Payments;
using Peerz.Verifier.Storage;

namespace Peerz.Verifier.Slashing;

/// <summary>
/// Sends slash proposals and withdrawals to ProviderRegistry and records them. A proposal only holds the stake for the
/// challenge period; the provider can dispute it and the arbiter decides, and this verifier withdraws its own proposal
/// when the receipt later checks honest (an Unavailable payload that turns up).
/// </summary>
public sealed class SlashProposer(ProviderRegistry registry, VerifierLedger ledger, TimeProvider time, ILogger<SlashProposer> logger)
{
    /// <summary>Proposes the slash; false when the chain refused it (for example the provider is already jailed: one slash per jailing).</summary>
    public async Task<bool> ProposeAsync(byte[] digest, SignedReceipt evidence, SlashProposal proposal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(proposal);
        try
        {
            var receipt = await registry.ProposeSlashAsync(evidence.Receipt, evidence.Signature, proposal.Fault, proposal.RecomputedOutputHash, proposal.EvidenceHash, cancellationToken);
            var hash = Hex.Encode(receipt.TransactionHash);
            await ledger.RecordProposalAsync(digest, proposal, hash, time.GetUtcNow(), cancellationToken);
            logger.LogWarning("proposed a {Fault} slash of {Provider} in {Transaction} (evidence {EvidenceHash})", proposal.Fault, proposal.Provider, hash, Hex.Encode(proposal.EvidenceHash));
            return true;
        }
        catch (ContractRevertException e)
        {
            logger.LogWarning("the {Fault} slash of {Provider} was refused on chain: {Reason}", proposal.Fault, proposal.Provider, e.Reason.Message);
            return false;
        }
    }

    /// <summary>Withdraws this verifier's pending slash for the receipt, if it is still the one pending on chain.</summary>
    public async Task<bool> WithdrawAsync(byte[] digest, Chain.Crypto.Address provider, SlashState slash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slash);
        var pending = await registry.PendingSlashAsync(provider, cancellationToken);
        if (!pending.Active || !pending.ReceiptDigest.AsSpan().SequenceEqual(slash.EvidenceDigest))
        {
            logger.LogInformation("the slash of {Provider} for {Digest} is no longer pending; nothing to withdraw", provider, Hex.Encode(digest));
            return false;
        }
        try
        {
            var receipt = await registry.WithdrawSlashAsync(provider, cancellationToken);
            var hash = Hex.Encode(receipt.TransactionHash);
            await ledger.RecordWithdrawalAsync(digest, hash, cancellationToken);
            logger.LogWarning("withdrew the slash of {Provider} in {Transaction}: the receipt checks honest", provider, hash);
            return true;
        }
        catch (ContractRevertException e)
        {
            logger.LogWarning("withdrawing the slash of {Provider} was refused on chain: {Reason}", provider, e.Reason.Message);
            return false;
        }
    }
}
