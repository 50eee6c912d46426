using System.Numerics;
using Microsoft.Data.Sqlite;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Epochs;
using Peerz.Settlement.Storage;
using Peerz.Testing;

namespace Peerz.Settlement.Tests.Storage;

public sealed class SettlementStoreTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create("settle-store");

    public void Dispose() => TempDirectory.Delete(_directory);

    [Fact]
    public async Task A_report_that_arrives_while_an_epoch_is_computed_forces_a_recompute_and_later_ones_are_refused()
    {
        var store = await SettlementStore.OpenAsync(Path.Combine(_directory, "s.db"), CancellationToken.None);
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

    [Fact]
    public async Task Reopening_keeps_reports_and_deduplicates_receipts_by_digest()
    {
        var path = Path.Combine(_directory, "r.db");
        var (provider, client) = (EthKey.Generate().Address, EthKey.Generate().Address);
        var store = await SettlementStore.OpenAsync(path, CancellationToken.None);
        Assert.True(await store.AddReceiptAsync(Receipt(provider, client, 7), CancellationToken.None));
        var reopened = await SettlementStore.OpenAsync(path, CancellationToken.None);
        Assert.False(await reopened.AddReceiptAsync(Receipt(provider, client, 7), CancellationToken.None));
        Assert.Equal(new PairWork(provider, client, RewardRole.Inference, 7), (await reopened.PairWorkAsync(5, CancellationToken.None)).Single());
        Assert.True(await reopened.HasReceiptAsync(Keccak.Hash("receipt 7"), CancellationToken.None));
    }

    [Fact]
    public async Task Rows_whose_64_bit_SUM_overflowed_are_summed_exactly_and_cannot_wedge_the_close()
    {
        // Before issue 22 #13 the close ran SUM(units) in SQLite: two rows of 2^63 − 1 made it throw "integer overflow"
        // on every attempt, and since roots post in order, no later epoch could close either.
        var path = Path.Combine(_directory, "o.db");
        var store = await SettlementStore.OpenAsync(path, CancellationToken.None);
        var verifier = EthKey.Generate().Address;
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            for (var i = 0; i < 2; i++)
            {
                await using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO contributions (key, epoch, account, role, units, recorded_at) VALUES ($key, 5, $account, 2, $units, 0);";
                insert.Parameters.AddWithValue("$key", Keccak.Hash($"row {i}"));
                insert.Parameters.AddWithValue("$account", SettlementStore.Key(verifier));
                insert.Parameters.AddWithValue("$units", long.MaxValue);
                await insert.ExecuteNonQueryAsync();
            }

            // Amounts are decimal text; anything else is refused by the schema, so no stored row can fail to parse.
            await using var garbage = connection.CreateCommand();
            garbage.CommandText = "INSERT INTO receipts (digest, epoch, provider, client, role, amount, recorded_at) VALUES (x'01', 5, 'p', 'c', 0, '12e5', 0);";
            Assert.Throws<SqliteException>(() => garbage.ExecuteNonQuery());
        }

        Assert.Equal(2 * new BigInteger(long.MaxValue), (await store.UnitsAsync(5, CancellationToken.None)).Single().Units);

        // Receipt amounts are uint256: three of the largest accepted per receipt, far past 2^64, add up exactly.
        var (provider, client) = (EthKey.Generate().Address, EthKey.Generate().Address);
        for (var i = 0; i < 3; i++) await store.AddReceiptAsync(Receipt(provider, client, i) with { Amount = ContributionIntake.MaxAmountPerReceipt }, CancellationToken.None);
        Assert.Equal(3 * ContributionIntake.MaxAmountPerReceipt, (await store.PairWorkAsync(5, CancellationToken.None)).Single().Amount);
    }

    [Fact]
    public async Task Pair_credits_of_earlier_epochs_add_up_and_later_ones_do_not_count()
    {
        var store = await SettlementStore.OpenAsync(Path.Combine(_directory, "c.db"), CancellationToken.None);
        var (provider, client) = (EthKey.Generate().Address, EthKey.Generate().Address);
        var big = BigInteger.Pow(10, 40);
        Assert.True(await store.SaveComputedAsync(Record() with { Epoch = 3 }, [], [new PairCredit(provider, client, big, big, 3)], 0, CancellationToken.None));
        Assert.True(await store.SaveComputedAsync(Record() with { Epoch = 4 }, [], [new PairCredit(provider, client, 10, 4, 1)], 0, CancellationToken.None));
        Assert.True(await store.SaveComputedAsync(Record() with { Epoch = 5 }, [], [new PairCredit(provider, client, 10, 10, 0)], 0, CancellationToken.None));
        Assert.Equal(new PairBacking(big + 4, 4), await store.CreditedBeforeAsync(provider, client, 5, CancellationToken.None));
        Assert.Equal(PairBacking.None, await store.CreditedBeforeAsync(client, provider, 5, CancellationToken.None));
    }

    private static Contribution Verification(Address account, long n) =>
        new(Keccak.Hash($"verification {n}"), 5, account, RewardRole.Verification, 1);

    private static PaidReceipt Receipt(Address provider, Address client, long n) =>
        new(Keccak.Hash($"receipt {n}"), 5, provider, client, RewardRole.Inference, n);

    private static EpochRecord Record() => new(5, EpochState.Computed, new byte[32], 3, 10, 7, [1, 0, 0, 0], [10, 0, 0, 0], [3, 0, 0, 0], [], null);
}
