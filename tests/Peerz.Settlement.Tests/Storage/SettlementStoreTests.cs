using System.Data.Common;
using System.Numerics;
using Dapper;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Epochs;
using Peerz.Settlement.Storage;

namespace Peerz.Settlement.Tests.Storage;

/// <summary>
/// The settlement store's behaviour, run once per engine (<see cref="SqliteSettlementStoreTests"/>,
/// <see cref="PostgresSettlementStoreTests"/>): both must give the same answers to the same calls.
/// </summary>
public abstract class SettlementStoreTests
{
    /// <summary>Opens this test's store; a second call reopens the same one, as a restarted process would.</summary>
    protected abstract Task<SettlementStore> OpenStoreAsync();

    /// <summary>A plain connection to this test's database, bypassing the store (to write rows it would never write).</summary>
    protected abstract Task<DbConnection> ConnectDirectlyAsync();

    [SkippableFact]
    public async Task A_report_that_arrives_while_an_epoch_is_computed_forces_a_recompute_and_later_ones_are_refused()
    {
        await using var store = await OpenStoreAsync();
        var account = EthKey.Generate().Address;
        Assert.True(await store.AddContributionAsync(Verification(account, 1), CancellationToken.None));
        var countSeenByCompute = await store.ContributionCountAsync(5, CancellationToken.None);
        Assert.True(await store.AddReceiptAsync(Receipt(account, EthKey.Generate().Address, 9), CancellationToken.None));

        Assert.False(await store.SaveComputedAsync(Record(), [], [], countSeenByCompute, CancellationToken.None));
        Assert.Null(await store.GetEpochAsync(5, CancellationToken.None));

        Assert.True(await store.SaveComputedAsync(Record(), [new RewardRecord(SettlementStore.Key(account), RewardRole.Verification, 3, [])], [], 2, CancellationToken.None));
        var refused = await Assert.ThrowsAsync<IntakeException>(() => store.AddContributionAsync(Verification(account, 3), CancellationToken.None));
        Assert.Equal(409, refused.StatusCode);
        var refusedReceipt = await Assert.ThrowsAsync<IntakeException>(() => store.AddReceiptAsync(Receipt(account, account, 4), CancellationToken.None));
        Assert.Equal(409, refusedReceipt.StatusCode);
        Assert.Equal(BigInteger.One, (await store.UnitsAsync(5, CancellationToken.None)).Single().Units);
    }

    [SkippableFact]
    public async Task Reopening_keeps_reports_and_deduplicates_receipts_by_digest()
    {
        var (provider, client) = (EthKey.Generate().Address, EthKey.Generate().Address);
        await using (var store = await OpenStoreAsync())
        {
            Assert.True(await store.AddReceiptAsync(Receipt(provider, client, 7), CancellationToken.None));
        }

        await using var reopened = await OpenStoreAsync();
        Assert.False(await reopened.AddReceiptAsync(Receipt(provider, client, 7), CancellationToken.None));
        Assert.Equal(new PairWork(provider, client, RewardRole.Inference, 7), (await reopened.PairWorkAsync(5, CancellationToken.None)).Single());
        Assert.True(await reopened.HasReceiptAsync(Keccak.Hash("receipt 7"), CancellationToken.None));
    }

    [SkippableFact]
    public async Task Rows_whose_64_bit_SUM_overflowed_are_summed_exactly_and_cannot_wedge_the_close()
    {
        // Before issue 22 #13 the close ran SUM(units) in SQLite: two rows of 2^63 − 1 made it throw "integer overflow"
        // on every attempt, and since roots post in order, no later epoch could close either.
        await using var store = await OpenStoreAsync();
        var verifier = EthKey.Generate().Address;
        await using (var connection = await ConnectDirectlyAsync())
        {
            for (var i = 0; i < 2; i++)
            {
                await connection.ExecuteAsync(
                    "INSERT INTO contributions (key, epoch, account, role, units, recorded_at) VALUES (@Key, 5, @Account, 2, @Units, 0);",
                    new { Key = Keccak.Hash($"row {i}"), Account = SettlementStore.Key(verifier), Units = long.MaxValue });
            }

            // Amounts are decimal text; anything else is refused by the schema, so no stored row can fail to parse.
            await Assert.ThrowsAnyAsync<DbException>(() => connection.ExecuteAsync(
                "INSERT INTO receipts (digest, epoch, provider, client, role, amount, recorded_at) VALUES (@Digest, 5, 'p', 'c', 0, '12e5', 0);",
                new { Digest = new byte[] { 1 } }));
        }

        Assert.Equal(2 * new BigInteger(long.MaxValue), (await store.UnitsAsync(5, CancellationToken.None)).Single().Units);

        // Receipt amounts are uint256: three of the largest accepted per receipt, far past 2^64, add up exactly.
        var (provider, client) = (EthKey.Generate().Address, EthKey.Generate().Address);
        for (var i = 0; i < 3; i++) await store.AddReceiptAsync(Receipt(provider, client, i) with { Amount = ContributionIntake.MaxAmountPerReceipt }, CancellationToken.None);
        Assert.Equal(3 * ContributionIntake.MaxAmountPerReceipt, (await store.PairWorkAsync(5, CancellationToken.None)).Single().Amount);
    }

    [SkippableFact]
    public async Task Pair_credits_of_earlier_epochs_add_up_and_later_ones_do_not_count()
    {
        await using var store = await OpenStoreAsync();
        var (provider, client) = (EthKey.Generate().Address, EthKey.Generate().Address);
        var big = BigInteger.Pow(10, 40);
        Assert.True(await store.SaveComputedAsync(Record() with { Epoch = 3 }, [], [new PairCredit(provider, client, big, big, 3)], 0, CancellationToken.None));
        Assert.True(await store.SaveComputedAsync(Record() with { Epoch = 4 }, [], [new PairCredit(provider, client, 10, 4, 1)], 0, CancellationToken.None));
        Assert.True(await store.SaveComputedAsync(Record() with { Epoch = 5 }, [], [new PairCredit(provider, client, 10, 10, 0)], 0, CancellationToken.None));
        Assert.Equal(new PairBacking(big + 4, 4), await store.CreditedBeforeAsync(provider, client, 5, CancellationToken.None));
        Assert.Equal(PairBacking.None, await store.CreditedBeforeAsync(client, provider, 5, CancellationToken.None));
    }

    [SkippableFact]
    public async Task An_epoch_and_its_rewards_read_back_exactly_as_saved_and_rewards_come_ordered_by_account_then_role()
    {
        await using var store = await OpenStoreAsync();
        var accounts = Enumerable.Range(0, 4).Select(_ => EthKey.Generate().Address).ToArray();
        // Saved in neither account nor role order: the store must sort them.
        var rewards = accounts.SelectMany(account => new[] { RewardRole.Routing, RewardRole.Inference }.Select(role => (Account: SettlementStore.Key(account), Role: role)))
            .Select((leaf, i) => new RewardRecord(leaf.Account, leaf.Role, BigInteger.Pow(10, 70) + i, [$"0x{i:x64}", "0x" + new string('f', 64)]))
            .Reverse().ToArray();
        var record = new EpochRecord(
            5, EpochState.Computed, Keccak.Hash("root"), BigInteger.Pow(2, 255), BigInteger.Pow(10, 60), 7,
            [1, BigInteger.Pow(10, 50), 0, 3], [10, 0, 0, 0], [3, 0, 0, 0], [SettlementStore.Key(accounts[0])], null);
        Assert.True(await store.SaveComputedAsync(record, rewards, [], 0, CancellationToken.None));
        Assert.Equal(new long[] { 5 }, await store.UnfinishedEpochsAsync(CancellationToken.None));

        var hash = Keccak.Hash("postRoot");
        await store.MarkPostedAsync(5, hash, CancellationToken.None);
        var posted = await store.GetEpochAsync(5, CancellationToken.None);
        Assert.NotNull(posted);
        Assert.Equal((record.Epoch, EpochState.Posted, record.Total, record.Pool, record.Unallocated), (posted.Epoch, posted.State, posted.Total, posted.Pool, posted.Unallocated));
        Assert.Equal(record.Root, posted.Root);
        Assert.Equal(hash, posted.TransactionHash);
        Assert.Equal(record.Weights, posted.Weights);
        Assert.Equal(record.RolePools, posted.RolePools);
        Assert.Equal(record.RoleAllocated, posted.RoleAllocated);
        Assert.Equal(record.ExcludedProviders, posted.ExcludedProviders);

        var expected = rewards.OrderBy(r => r.Account, StringComparer.Ordinal).ThenBy(r => r.Role).ToArray();
        var stored = await store.RewardsAsync(5, CancellationToken.None);
        Assert.Equal(expected.Select(r => (r.Account, r.Role, r.Amount)), stored.Select(r => (r.Account, r.Role, r.Amount)));
        Assert.Equal(expected.Select(r => r.Proof), stored.Select(r => r.Proof));
        Assert.Equal(expected.Where(r => r.Account == SettlementStore.Key(accounts[2])).Select(r => r.Role), (await store.RewardsOfAsync(5, accounts[2], CancellationToken.None)).Select(r => r.Role));

        await store.MarkPublishedAsync(5, CancellationToken.None);
        Assert.Empty(await store.UnfinishedEpochsAsync(CancellationToken.None));
        Assert.Equal(hash, (await store.GetEpochAsync(5, CancellationToken.None))!.TransactionHash);
    }

    private static Contribution Verification(Address account, long n) =>
        new(Keccak.Hash($"verification {n}"), 5, account, RewardRole.Verification, 1);

    private static PaidReceipt Receipt(Address provider, Address client, long n) =>
        new(Keccak.Hash($"receipt {n}"), 5, provider, client, RewardRole.Inference, n);

    private static EpochRecord Record() => new(5, EpochState.Computed, new byte[32], 3, 10, 7, [1, 0, 0, 0], [10, 0, 0, 0], [3, 0, 0, 0], [], null);
}
