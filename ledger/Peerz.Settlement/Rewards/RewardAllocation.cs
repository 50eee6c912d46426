using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Rewards;

/// <summary>
/// The split of one epoch's pool: per-account amounts (all roles summed, zero amounts left out), each role's
/// share R_role and what was actually allocated from it, and the unallocated rest (floor dust plus the shares of
/// roles without work), which EpochRewards carries into the next epoch.
/// </summary>
public sealed record RewardAllocation(
    BigInteger Pool,
    IReadOnlyList<BigInteger> Weights,
    IReadOnlyList<BigInteger> RolePools,
    IReadOnlyList<BigInteger> RoleAllocated,
    IReadOnlyDictionary<Address, BigInteger> Amounts)
{
    public BigInteger Total => RoleAllocated.Aggregate(BigInteger.Zero, (a, b) => a + b);

    public BigInteger Unallocated => Pool - Total;
}
