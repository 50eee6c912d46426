using System.Numerics;

namespace Peerz.Settlement.Epochs;

/// <summary>
/// The self-dealing rule (issue 18, docs/economics.md "Self-dealing"): a provider's inference or training reward is at
/// most half the protocol fee its credited work paid into the reward pool. Someone who pays themselves X PRZ through
/// the escrow pays fee·X and can earn at most fee·X / 2 back, so cycling PRZ to farm rewards always loses money,
/// whatever the pool and the honest volume; honest rewards keep their meaning (pro rata to PRZ paid) up to that cap,
/// and what the cap holds back stays unallocated and rolls into the next epoch's pool.
/// </summary>
public static class FeeRewardCap
{
    /// <summary>Reward allowed per PRZ wei of fee paid, as a fraction: must stay below 1 for farming to lose.</summary>
    public const int Numerator = 1;

    public const int Denominator = 2;

    public static BigInteger Of(BigInteger feePaid) => feePaid * Numerator / Denominator;
}
