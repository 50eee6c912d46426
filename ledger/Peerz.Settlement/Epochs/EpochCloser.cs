using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
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
/// An epoch is computed no earlier than <see cref="SettlementOptions.CloseDelay"/> after its end, so the vouchers of
/// its last work can be redeemed first: the receipts' amounts are credited only as far as redemptions back them
/// (<see cref="PaymentBacking"/>), capped by the protocol fee they paid (<see cref="FeeRewardCap"/>), and only for
/// providers in good standing at close (<see cref="ProviderStanding"/>).
/// </summary>
public sealed class EpochCloser(SettlementChain chain, SettlementStore store, SettlementOptions options, ILogger<EpochCloser> logger)
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

    public string ProofsPath(long epoch) => Path.Combine(options.ProofsDirectory, EpochProofsFile.FileName(epoch));

    /// <summary>Chain time from which <paramref name="epoch"/> may be computed: its end plus the close delay.</summary>
    public ulong ClosableAt(long epoch) => chain.Clock.End(epoch) + (ulong)options.CloseDelay.TotalSeconds;

    private async Task<EpochRecord> ComputeAsync(long epoch, CancellationToken cancellationToken)
    {
        var now = await chain.Rpc.BlockTimestampAsync(null, cancellationToken).ConfigureAwait(false);
        if (now < ClosableAt(epoch)) throw new InvalidOperationException($"epoch {epoch} cannot close before chain time {ClosableAt(epoch)} (its end plus the close delay; now {now})");
        var next = (long)await chain.Rewards.NextEpochToPostAsync(cancellationToken).ConfigureAwait(false);
        if (epoch > next) throw new InvalidOperationException($"epoch {epoch} cannot close before epoch {next} is posted");

        // The pool is final here: epoch-1 is posted (its dust is in), and fund() only adds to the current epoch.
        var onChain = await chain.Rewards.GetEpochAsync(epoch, cancellationToken).ConfigureAwait(false);
        var pool = onChain.Posted ? onChain.Pool : await chain.Rewards.EpochPoolAsync(epoch, cancellationToken).ConfigureAwait(false);
        var weights = await chain.Rewards.RoleWeightsAtAsync(epoch, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var count = await store.ContributionCountAsync(epoch, cancellationToken).ConfigureAwait(false);
            var work = await store.PairWorkAsync(epoch, cancellationToken).ConfigureAwait(false);
            var excluded = await ProviderStanding.ExcludedAsync(chain, epoch, work.Select(w => w.Provider), cancellationToken).ConfigureAwait(false);
            var eligible = work.Where(w => !excluded.ContainsKey(w.Provider)).ToArray();
            var backing = await BackingAsync(epoch, eligible, cancellationToken).ConfigureAwait(false);
            var (paid, credits) = PaymentBacking.Credit(eligible, backing);
            var units = (await store.UnitsAsync(epoch, cancellationToken).ConfigureAwait(false)).Concat(paid);
            var allocation = RewardAllocator.Allocate(pool, weights, units);
            var tree = new RewardMerkleTree(allocation.Amounts);
            var record = new EpochRecord(
                epoch, EpochState.Computed, tree.Root, allocation.Total, pool, allocation.Unallocated, allocation.Weights, allocation.RolePools, allocation.RoleAllocated,
                [.. excluded.Keys.Select(SettlementStore.Key).Order(StringComparer.Ordinal)], null);
            var rewards = allocation.Amounts.Select(kv => new RewardRecord(SettlementStore.Key(kv.Key.Account), kv.Key.Role, kv.Value, [.. tree.Proof(kv.Key).Select(node => Hex.Encode(node))]));
            if (!await store.SaveComputedAsync(record, rewards, credits, count, cancellationToken).ConfigureAwait(false))
            {
                logger.LogInformation("Epoch {Epoch}: a contribution arrived while computing; computing again", epoch);
                continue;
            }

            foreach (var (provider, reason) in excluded) logger.LogInformation("Epoch {Epoch}: provider {Provider} earns no inference or training reward: {Reason}", epoch, provider, reason);
            var claimed = credits.Aggregate(BigInteger.Zero, (sum, c) => sum + c.Claimed);
            var credited = credits.Aggregate(BigInteger.Zero, (sum, c) => sum + c.Credited);
            var fees = credits.Aggregate(BigInteger.Zero, (sum, c) => sum + c.FeeCredited);
            logger.LogInformation(
                "Epoch {Epoch} computed: pool {Pool}, {Leaves} leaves get {Total}, unallocated {Unallocated} (floor dust and roles without work), weights [{Weights}], role totals [{RoleTotals}], receipts claim {Claimed} wei paid of which redemptions back {Credited}, which paid {Fees} wei of protocol fee (paid work earns at most half of it)",
                epoch, pool, allocation.Amounts.Count, allocation.Total, allocation.Unallocated, string.Join(", ", weights), string.Join(", ", allocation.RoleAllocated), claimed, credited, fees);
            return record;
        }
    }

    /// <summary>Per pair: PaymentEscrow.redeemed and feesPaid of (client, provider) now, minus what earlier epochs credited of each.</summary>
    private async Task<IReadOnlyDictionary<(Address Provider, Address Client), PairBacking>> BackingAsync(long epoch, IEnumerable<PairWork> work, CancellationToken cancellationToken)
    {
        var backing = new Dictionary<(Address Provider, Address Client), PairBacking>();
        foreach (var (provider, client) in work.Select(w => (w.Provider, w.Client)).Distinct())
        {
            var redeemed = await chain.Escrow.RedeemedAsync(client, provider, cancellationToken).ConfigureAwait(false);
            var fees = await chain.Escrow.FeesPaidAsync(client, provider, cancellationToken).ConfigureAwait(false);
            var before = await store.CreditedBeforeAsync(provider, client, epoch, cancellationToken).ConfigureAwait(false);
            backing[(provider, client)] = new PairBacking(redeemed - before.Redeemed, fees - before.Fees);
        }

        return backing;
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
            record.ExcludedProviders, record.TransactionHash is { } hash ? Hex.Encode(hash) : null,
            rewards.GroupBy(r => r.Account).ToDictionary(g => g.Key, g => (IReadOnlyList<RoleClaim>)[.. g.Select(r => RoleClaim.From(r.Role, r.Amount, r.Proof))]));
        await file.WriteAsync(ProofsPath(record.Epoch), cancellationToken).ConfigureAwait(false);
        await store.MarkPublishedAsync(record.Epoch, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Epoch {Epoch} published: {Leaves} proofs in {Path}", record.Epoch, rewards.Count, ProofsPath(record.Epoch));
        return record with { State = EpochState.Published };
    }
}
