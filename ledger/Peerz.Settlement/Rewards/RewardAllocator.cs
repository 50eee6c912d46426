using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Rewards;

/// <summary>
/// Splits an epoch's pool exactly as EpochRewards bounds it: R_role = ⌊pool · w_role / Σw⌋, then inside a role
/// ⌊R_role · units / Σunits⌋ per account, one amount per (account, role) as the role-tagged leaves need. Integer
/// math only; every floor leaves dust unallocated, and a role without work leaves its whole share unallocated (the
/// contract rolls both into the next epoch). Each role's allocation is ≤ R_role, which postRoot's role totals must be.
/// Units that carry a cap (paid work) earn at most the sum of their caps; what a cap holds back is unallocated too.
/// </summary>
public static class RewardAllocator
{
    public const int RoleCount = 4;

    public static RewardAllocation Allocate(BigInteger pool, IReadOnlyList<BigInteger> weights, IEnumerable<RoleUnits> units)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(units);
        if (pool.Sign < 0) throw new ArgumentOutOfRangeException(nameof(pool), "the pool cannot be negative");
        if (weights.Count != RoleCount || weights.Any(w => w.Sign < 0)) throw new ArgumentException($"expected {RoleCount} non-negative weights", nameof(weights));
        var weightSum = weights.Aggregate(BigInteger.Zero, (a, b) => a + b);
        if (weightSum.IsZero) throw new ArgumentException("the weights sum to zero", nameof(weights));

        var byRole = new Dictionary<Address, BigInteger>[RoleCount];
        var caps = new Dictionary<Address, BigInteger>[RoleCount];
        for (var r = 0; r < RoleCount; r++) (byRole[r], caps[r]) = ([], []);
        foreach (var entry in units)
        {
            if (entry.Units.Sign <= 0) throw new ArgumentException($"units of {entry.Account} must be positive", nameof(units));
            if (entry.Cap is { Sign: < 0 }) throw new ArgumentException($"the cap of {entry.Account} cannot be negative", nameof(units));
            var role = byRole[(int)entry.Role];
            role[entry.Account] = role.GetValueOrDefault(entry.Account) + entry.Units;
            if (entry.Cap is { } cap) caps[(int)entry.Role][entry.Account] = caps[(int)entry.Role].GetValueOrDefault(entry.Account) + cap;
        }

        var rolePools = new BigInteger[RoleCount];
        var allocated = new BigInteger[RoleCount];
        var amounts = new Dictionary<RewardLeaf, BigInteger>();
        for (var r = 0; r < RoleCount; r++)
        {
            rolePools[r] = pool * weights[r] / weightSum;
            var roleUnits = byRole[r].Values.Aggregate(BigInteger.Zero, (a, b) => a + b);
            if (roleUnits.IsZero) continue;
            foreach (var (account, accountUnits) in byRole[r])
            {
                var share = rolePools[r] * accountUnits / roleUnits;
                if (caps[r].TryGetValue(account, out var cap)) share = BigInteger.Min(share, cap);
                if (share.IsZero) continue;
                allocated[r] += share;
                amounts[new RewardLeaf(account, (RewardRole)r)] = share;
            }
        }

        return new RewardAllocation(pool, [.. weights], rolePools, allocated, amounts);
    }
}
