using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rpc;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Rewards;
using Peerz.Settlement.Storage;

namespace Peerz.Settlement.Epochs;

/// <summary>
/// Closes one epoch through the states computed → posted → published, each recorded in SQLite before the next
/// step. The chain is the judge of what was posted: before sending postRoot, and whenever a record says "posted",
/// the closer reads EpochRewards.getEpoch, so a crash between sending and recording never leads to a second post
/// (and the contract itself refuses a second root for an epoch with EpochNotNext).
/// </summary>
public sealed class EpochCloser(SettlementChain chain, SettlementStore store, string proofsDirectory, ILogger<EpochCloser> logger)
{
    /// <summary>Test hook: runs right after postRoot was accepted by the node and before the store records it.</summary>
    public Action? AfterPostRootSent { get; init; }

    public async Task<EpochRecord> CloseAsync(long epoch, CancellationToken cancellationToken)
    {
        var record = await store.GetEpochAsync(epoch, cancellationToken).ConfigureAwait(false) ?? await ComputeAsync(epoch, cancellationToken).ConfigureAwait(false);
        if (record.State == EpochState.Computed) record = await PostAsync(record, cancellationToken).ConfigureAwait(false);
        if (record.State == EpochState.Posted) record = await ConfirmPostedAsync(record, cancellationToken).ConfigureAwait(false);
        if (record.State == EpochState.Posted) record = await PublishAsync(record, cancellationToken).ConfigureAwait(false);
        return record;
    }

    public string ProofsPath(long epoch) => Path.Combine(proofsDirectory, EpochProofsFile.FileName(epoch));

    private async Task<EpochRecord> ComputeAsync(long epoch, CancellationToken cancellationToken)
    {
        var current = await chain.CurrentEpochAsync(cancellationToken).ConfigureAwait(false);
        if (epoch >= current) throw new InvalidOperationException($"epoch {epoch} has not ended (current epoch {current})");
        var next = (long)await chain.Rewards.NextEpochToPostAsync(cancellationToken).ConfigureAwait(false);
        if (epoch > next) throw new InvalidOperationException($"epoch {epoch} cannot close before epoch {next} is posted");

        // The pool is final here: epoch-1 is posted (its dust is in), and fund() only adds to the current epoch.
        var onChain = await chain.Rewards.GetEpochAsync(epoch, cancellationToken).ConfigureAwait(false);
        var pool = onChain.Posted ? onChain.Pool : await chain.Rewards.EpochPoolAsync(epoch, cancellationToken).ConfigureAwait(false);
        var weights = await chain.Rewards.RoleWeightsAtAsync(epoch, cancellationToken).ConfigureAwait(false);
        var slashed = await SlashedProviders.InEpochAsync(chain, epoch, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var count = await store.ContributionCountAsync(epoch, cancellationToken).ConfigureAwait(false);
            var units = (await store.UnitsAsync(epoch, cancellationToken).ConfigureAwait(false))
                .Where(u => u.Role is ContributionRole.Verification or ContributionRole.Routing || !slashed.Contains(u.Account));
            var allocation = RewardAllocator.Allocate(pool, weights, units);
            var tree = new RewardMerkleTree(allocation.Amounts);
            var record = new EpochRecord(
                epoch, EpochState.Computed, tree.Root, allocation.Total, pool, allocation.Unallocated, allocation.Weights, allocation.RolePools, allocation.RoleAllocated,
                [.. slashed.Select(SettlementStore.Key).Order(StringComparer.Ordinal)], null);
            var rewards = allocation.Amounts.Select(kv => new RewardRecord(SettlementStore.Key(kv.Key), kv.Value, [.. tree.Proof(kv.Key).Select(node => Hex.Encode(node))]));
            if (!await store.SaveComputedAsync(record, rewards, count, cancellationToken).ConfigureAwait(false))
            {
                logger.LogInformation("Epoch {Epoch}: a contribution arrived while computing; computing again", epoch);
                continue;
            }

            logger.LogInformation(
                "Epoch {Epoch} computed: pool {Pool}, {Accounts} accounts get {Total}, unallocated {Unallocated} (floor dust and roles without work), weights [{Weights}], slashed providers excluded: {Slashed}",
                epoch, pool, allocation.Amounts.Count, allocation.Total, allocation.Unallocated, string.Join(", ", weights), slashed.Count);
            return record;
        }
    }

    private async Task<EpochRecord> PostAsync(EpochRecord record, CancellationToken cancellationToken)
    {
        if (await AdoptIfPostedAsync(record, cancellationToken).ConfigureAwait(false) is { } adopted) return adopted;
        var sender = chain.Sender ?? throw new InvalidOperationException("settlement needs a signing account to post roots");
        var request = new TransactionRequest(chain.Rewards.Address, EpochRewards.PostRootFunction.EncodeCall(new BigInteger(record.Epoch), record.Root, record.RoleAllocated.Cast<object?>().ToArray()), Errors: chain.Rewards.Errors);
        byte[] hash;
        try
        {
            hash = await sender.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ContractRevertException e)
        {
            // Typically EpochNotNext: a post sent before a crash landed meanwhile. The chain decides.
            logger.LogWarning("postRoot for epoch {Epoch} refused ({Reason}); reconciling with the chain", record.Epoch, e.Message);
            return await AdoptIfPostedAsync(record, cancellationToken).ConfigureAwait(false) ?? throw new SettlementConflictException($"postRoot for epoch {record.Epoch} reverted: {e.Message}");
        }

        AfterPostRootSent?.Invoke();
        await store.MarkPostedAsync(record.Epoch, hash, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Epoch {Epoch}: postRoot sent in {Hash}", record.Epoch, Hex.Encode(hash));
        return record with { State = EpochState.Posted, TransactionHash = hash };
    }

    /// <summary>A 'posted' record is only trusted once the chain shows our root; a post that never landed goes back to 'computed'.</summary>
    private async Task<EpochRecord> ConfirmPostedAsync(EpochRecord record, CancellationToken cancellationToken)
    {
        if (record.TransactionHash is { } hash && chain.Sender is { } sender)
        {
            try
            {
                await sender.WaitForReceiptAsync(hash, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                logger.LogWarning("No receipt for postRoot {Hash} of epoch {Epoch}; checking the chain", Hex.Encode(hash), record.Epoch);
            }
        }

        if (await AdoptIfPostedAsync(record, cancellationToken).ConfigureAwait(false) is { } confirmed) return confirmed;
        logger.LogWarning("postRoot of epoch {Epoch} did not land; sending it again", record.Epoch);
        await store.MarkComputedAsync(record.Epoch, cancellationToken).ConfigureAwait(false);
        return await PostAsync(record with { State = EpochState.Computed }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>If the chain holds a root for the epoch: ours → recorded as posted (with the transaction from the RootPosted log); another → conflict.</summary>
    private async Task<EpochRecord?> AdoptIfPostedAsync(EpochRecord record, CancellationToken cancellationToken)
    {
        var onChain = await chain.Rewards.GetEpochAsync(record.Epoch, cancellationToken).ConfigureAwait(false);
        if (!onChain.Posted) return null;
        if (!onChain.Root.AsSpan().SequenceEqual(record.Root) || onChain.Total != record.Total)
        {
            throw new SettlementConflictException(
                $"epoch {record.Epoch} is posted on chain with root {Hex.Encode(onChain.Root)} (total {onChain.Total}), but this settlement computed {Hex.Encode(record.Root)} (total {record.Total}); is another settler running?");
        }

        var hash = record.TransactionHash ?? await RootPostedTransactionAsync(record.Epoch, cancellationToken).ConfigureAwait(false);
        if (record.State != EpochState.Posted || record.TransactionHash is null)
            await store.MarkPostedAsync(record.Epoch, hash, cancellationToken).ConfigureAwait(false);
        return record with { State = EpochState.Posted, TransactionHash = hash };
    }

    private async Task<byte[]?> RootPostedTransactionAsync(long epoch, CancellationToken cancellationToken)
    {
        var logs = await chain.Rpc.GetLogsAsync(chain.Rewards.Address, EpochRewards.RootPostedEvent.Topic, BigInteger.Zero, cancellationToken).ConfigureAwait(false);
        return logs.FirstOrDefault(l => (BigInteger)EpochRewards.RootPostedEvent.DecodeLog(l.Topics, l.Data)["epoch"]! == epoch)?.TransactionHash;
    }

    private async Task<EpochRecord> PublishAsync(EpochRecord record, CancellationToken cancellationToken)
    {
        var rewards = await store.RewardsAsync(record.Epoch, cancellationToken).ConfigureAwait(false);
        static string Text(BigInteger v) => v.ToString(CultureInfo.InvariantCulture);
        var file = new EpochProofsFile(
            record.Epoch, Hex.Encode(record.Root), Text(record.Total), Text(record.Pool), Text(record.Unallocated),
            [.. record.Weights.Select(Text)], [.. record.RolePools.Select(Text)], [.. record.RoleAllocated.Select(Text)],
            record.TransactionHash is { } hash ? Hex.Encode(hash) : null,
            rewards.ToDictionary(r => r.Account, r => new ClaimEntry(Text(r.Amount), r.Proof)));
        await file.WriteAsync(ProofsPath(record.Epoch), cancellationToken).ConfigureAwait(false);
        await store.MarkPublishedAsync(record.Epoch, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Epoch {Epoch} published: {Accounts} proofs in {Path}", record.Epoch, rewards.Count, ProofsPath(record.Epoch));
        return record with { State = EpochState.Published };
    }
}
