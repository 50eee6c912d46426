using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Storage;
using Peerz.Testing;

namespace Peerz.Settlement.Tests.Storage;

public sealed class SettlementStoreTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create("settle-store");

    public void Dispose() => TempDirectory.Delete(_directory);

    [Fact]
    public async Task A_contribution_that_arrives_while_an_epoch_is_computed_forces_a_recompute_and_later_ones_are_refused()
    {
        var store = await SettlementStore.OpenAsync(Path.Combine(_directory, "s.db"), CancellationToken.None);
        var account = EthKey.Generate().Address;
        Assert.True(await store.AddContributionAsync(Contribution(account, 1), CancellationToken.None));
        var countSeenByCompute = await store.ContributionCountAsync(5, CancellationToken.None);
        Assert.True(await store.AddContributionAsync(Contribution(account, 2), CancellationToken.None));

        Assert.False(await store.SaveComputedAsync(Record(), [], countSeenByCompute, CancellationToken.None));
        Assert.Null(await store.GetEpochAsync(5, CancellationToken.None));

        Assert.True(await store.SaveComputedAsync(Record(), [new RewardRecord(SettlementStore.Key(account), 3, [])], 2, CancellationToken.None));
        var refused = await Assert.ThrowsAsync<IntakeException>(() => store.AddContributionAsync(Contribution(account, 3), CancellationToken.None));
        Assert.Equal(409, refused.StatusCode);
        Assert.Equal(new BigInteger(3), (await store.UnitsAsync(5, CancellationToken.None)).Single().Units);
    }

    [Fact]
    public async Task Reopening_keeps_contributions_and_deduplicates_by_key()
    {
        var path = Path.Combine(_directory, "r.db");
        var account = EthKey.Generate().Address;
        var store = await SettlementStore.OpenAsync(path, CancellationToken.None);
        Assert.True(await store.AddContributionAsync(Contribution(account, 7), CancellationToken.None));
        var reopened = await SettlementStore.OpenAsync(path, CancellationToken.None);
        Assert.False(await reopened.AddContributionAsync(Contribution(account, 7), CancellationToken.None));
        Assert.Equal(new BigInteger(7), (await reopened.UnitsAsync(5, CancellationToken.None)).Single().Units);
    }

    private static Contribution Contribution(Address account, long units) =>
        new(Keccak.Hash($"receipt {units}"), 5, account, ContributionRole.Inference, units);

    private static EpochRecord Record() => new(5, EpochState.Computed, new byte[32], 3, 10, 7, [1, 0, 0, 0], [10, 0, 0, 0], [3, 0, 0, 0], [], null);
}
