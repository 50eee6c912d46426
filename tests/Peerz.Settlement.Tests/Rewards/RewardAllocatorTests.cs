using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Rewards;

namespace Peerz.Settlement.Tests.Rewards;

public sealed class RewardAllocatorTests
{
    private static readonly Address A = EthKey.Generate().Address;
    private static readonly Address B = EthKey.Generate().Address;
    private static readonly Address C = EthKey.Generate().Address;

    [Fact]
    public void Splits_by_weights_then_pro_rata_with_floors_worked_by_hand()
    {
        // pool 1000, weights 60/20/15/5 (Σ 100): R = 600, 200, 150, 50.
        // inference: A 1 unit, B 2 units → ⌊600·1/3⌋ = 200, ⌊600·2/3⌋ = 400 (no dust).
        // training: A 1, B 1, C 1 → ⌊200/3⌋ = 66 each, 2 dust.
        // verification: nobody → 150 unallocated. routing: C 7 → 50.
        var allocation = RewardAllocator.Allocate(1000, [60, 20, 15, 5],
        [
            new(A, RewardRole.Inference, 1), new(B, RewardRole.Inference, 2),
            new(A, RewardRole.Training, 1), new(B, RewardRole.Training, 1), new(C, RewardRole.Training, 1),
            new(C, RewardRole.Routing, 7),
        ]);

        Assert.Equal(new BigInteger[] { 600, 200, 150, 50 }, allocation.RolePools);
        Assert.Equal(new BigInteger[] { 600, 198, 0, 50 }, allocation.RoleAllocated);
        // One amount per (account, role): the leaves EpochRewards checks.
        Assert.Equal(200, allocation.Amounts[new(A, RewardRole.Inference)]);
        Assert.Equal(66, allocation.Amounts[new(A, RewardRole.Training)]);
        Assert.Equal(400, allocation.Amounts[new(B, RewardRole.Inference)]);
        Assert.Equal(66, allocation.Amounts[new(B, RewardRole.Training)]);
        Assert.Equal(66, allocation.Amounts[new(C, RewardRole.Training)]);
        Assert.Equal(50, allocation.Amounts[new(C, RewardRole.Routing)]);
        Assert.Equal(6, allocation.Amounts.Count);
        Assert.Equal(848, allocation.Total);
        Assert.Equal(152, allocation.Unallocated);
    }

    [Fact]
    public void Caps_of_paid_work_add_up_per_account_and_bound_its_share_and_what_they_hold_back_stays_unallocated()
    {
        // pool 1000, inference only (R = 1000), 8 units: A 1 + 1 with caps 100 + 50, B 2 with a cap of 900, C 4 with cap 0.
        // A: min(⌊1000·2/8⌋, 150) = 150; B: min(250, 900) = 250; C: min(500, 0) = 0 → 600 held back.
        var allocation = RewardAllocator.Allocate(1000, [1, 0, 0, 0],
        [
            new(A, RewardRole.Inference, 1, 100), new(A, RewardRole.Inference, 1, 50), new(B, RewardRole.Inference, 2, 900),
            new(C, RewardRole.Inference, 4, 0),
        ]);

        Assert.Equal(150, allocation.Amounts[new(A, RewardRole.Inference)]);
        Assert.Equal(250, allocation.Amounts[new(B, RewardRole.Inference)]);
        Assert.False(allocation.Amounts.ContainsKey(new(C, RewardRole.Inference)));
        Assert.Equal(600, allocation.Unallocated);
    }

    [Fact]
    public void Units_of_one_account_in_one_role_add_up()
    {
        var allocation = RewardAllocator.Allocate(90, [1, 0, 0, 0], [new(A, RewardRole.Inference, 1), new(A, RewardRole.Inference, 2), new(B, RewardRole.Inference, 6)]);
        Assert.Equal(30, allocation.Amounts[new(A, RewardRole.Inference)]);
        Assert.Equal(60, allocation.Amounts[new(B, RewardRole.Inference)]);
    }

    [Fact]
    public void Shares_that_floor_to_zero_get_no_leaf()
    {
        // R_inference = ⌊10/4⌋ = 2; A: ⌊2·1/1000001⌋ = 0, B: ⌊2·1000000/1000001⌋ = 1; 9 of 10 stay unallocated.
        var allocation = RewardAllocator.Allocate(10, [1, 1, 1, 1], [new(A, RewardRole.Inference, 1), new(B, RewardRole.Inference, 1_000_000)]);
        Assert.False(allocation.Amounts.ContainsKey(new(A, RewardRole.Inference)));
        Assert.Equal(1, allocation.Amounts[new(B, RewardRole.Inference)]);
        Assert.Equal(9, allocation.Unallocated);
    }

    [Fact]
    public void Random_epochs_never_allocate_more_than_each_role_share_and_account_for_every_wei()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var pool = new BigInteger(random.NextInt64(0, long.MaxValue)) * random.Next(1, 1000);
            BigInteger[] weights = [random.Next(0, 100), random.Next(0, 100), random.Next(0, 100), random.Next(1, 100)];
            var accounts = Enumerable.Range(0, random.Next(1, 20)).Select(_ => EthKey.Generate().Address).ToArray();
            var units = Enumerable.Range(0, random.Next(1, 60))
                .Select(_ => new RoleUnits(accounts[random.Next(accounts.Length)], (RewardRole)random.Next(4), random.Next(1, 1_000_000)))
                .ToArray();

            var allocation = RewardAllocator.Allocate(pool, weights, units);

            var weightSum = weights.Aggregate(BigInteger.Zero, (a, b) => a + b);
            for (var r = 0; r < 4; r++)
            {
                Assert.Equal(pool * weights[r] / weightSum, allocation.RolePools[r]);
                Assert.True(allocation.RoleAllocated[r] <= allocation.RolePools[r]);
                Assert.Equal(allocation.RoleAllocated[r], allocation.Amounts.Where(kv => (int)kv.Key.Role == r).Aggregate(BigInteger.Zero, (a, kv) => a + kv.Value));
                var roleUnits = units.Where(u => (int)u.Role == r).Aggregate(BigInteger.Zero, (a, u) => a + u.Units);
                if (roleUnits.IsZero) Assert.Equal(BigInteger.Zero, allocation.RoleAllocated[r]);
            }

            Assert.Equal(allocation.Total, allocation.Amounts.Values.Aggregate(BigInteger.Zero, (a, b) => a + b));
            Assert.Equal(pool, allocation.Total + allocation.Unallocated);
            Assert.True(allocation.Amounts.Values.All(v => v > 0));
        }
    }

    [Fact]
    public void Units_far_beyond_64_bits_split_exactly()
    {
        // Amounts in wei: sums past 2^64 (and 2^256) must neither overflow nor lose precision.
        var huge = BigInteger.Pow(2, 255);
        var allocation = RewardAllocator.Allocate(1000, [1, 0, 0, 0], [new(A, RewardRole.Inference, huge), new(A, RewardRole.Inference, huge), new(B, RewardRole.Inference, huge * 2)]);
        Assert.Equal(500, allocation.Amounts[new(A, RewardRole.Inference)]);
        Assert.Equal(500, allocation.Amounts[new(B, RewardRole.Inference)]);
    }

    [Fact]
    public void Rejects_weights_that_sum_to_zero_and_wrong_counts()
    {
        Assert.Throws<ArgumentException>(() => RewardAllocator.Allocate(1, [0, 0, 0, 0], []));
        Assert.Throws<ArgumentException>(() => RewardAllocator.Allocate(1, [1, 1, 1], []));
    }
}
