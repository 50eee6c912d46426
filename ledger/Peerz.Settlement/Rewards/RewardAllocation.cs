using System.Numerics;

namespace Peerz.Settlement.Rewards;

/// <summary>
/// The split of one epoch's pool: one amount per (account, role) (zero amounts left out), each role's share
/// R_role and what was actually allocated from it (the role totals postRoot carries, each ≤ R_role), and the
/// unallocated rest (floor dust plus the shares of roles without work), which EpochRewards carries into the next epoch.
/// </summary>
public sealed record RewardAllocation(
    BigInteger Pool,
    IReadOnlyList<BigInteger> Weights,
    IReadOnlyList<BigInteger> RolePools,
    IReadOnlyList<BigInteger> RoleAllocated,
    IReadOnlyDictionary<RewardLeaf, BigInteger> Amounts)
{
    public BigInteger Total => RoleAllocated.Aggregate(BigInteger.Zero, (a, b) => a + b);

    public BigInteger Unallocated => Pool - Total;
}
