using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Rewards;

namespace Peerz.Settlement.Epochs;

/// <summary>
/// Credits receipts only as far as they were paid on chain (issue 22 #1). PaymentEscrow.redeemed(client, provider)
/// is cumulative, so the backing left for an epoch is that redemption minus what earlier epochs already credited to
/// the pair; an epoch credits min(what its receipts claim, that backing). When the backing is short, each role of
/// the pair gets its floor share of it. The credited PRZ wei are the provider's units in the inference and training
/// roles: a provider's reward follows what clients paid it, so made-up, free or self-priced-at-zero work earns nothing,
/// and no provider is credited beyond what it redeemed. Unused backing (dust, redemptions of open fees, late receipts)
/// stays with the pair for later epochs; over all epochs a pair is never credited more than it redeemed.
/// <para>
/// Each credited share also carries its reward cap (issue 18, self-dealing): <see cref="FeeRewardCap"/> of the
/// protocol fee those PRZ paid, the pair's fee backing taken pro rata to the credited part of its redemption backing.
/// </para>
/// </summary>
public static class PaymentBacking
{
    /// <param name="work">one epoch's claimed amounts per (provider, client, role), providers already filtered by standing</param>
    /// <param name="backing">per (provider, client): redeemed and fees minus what earlier epochs credited (missing = none; negative parts count as 0)</param>
    public static (IReadOnlyList<RoleUnits> Units, IReadOnlyList<PairCredit> Credits) Credit(
        IEnumerable<PairWork> work, IReadOnlyDictionary<(Address Provider, Address Client), PairBacking> backing)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(backing);
        var units = new List<RoleUnits>();
        var credits = new List<PairCredit>();
        foreach (var pair in work.GroupBy(w => (w.Provider, w.Client)))
        {
            var claimed = pair.Aggregate(BigInteger.Zero, (sum, w) => sum + w.Amount);
            if (claimed.Sign <= 0) continue;
            var pairBacking = backing.GetValueOrDefault(pair.Key, PairBacking.None);
            var available = BigInteger.Max(BigInteger.Zero, pairBacking.Redeemed);
            var fees = BigInteger.Max(BigInteger.Zero, pairBacking.Fees);
            var credited = BigInteger.Zero;
            foreach (var role in pair)
            {
                var share = available >= claimed ? role.Amount : available * role.Amount / claimed;
                if (share.IsZero) continue;
                units.Add(new RoleUnits(pair.Key.Provider, role.Role, share, FeeRewardCap.Of(fees * share / available)));
                credited += share;
            }

            var feeCredited = credited.IsZero ? BigInteger.Zero : fees * credited / available;
            credits.Add(new PairCredit(pair.Key.Provider, pair.Key.Client, claimed, credited, feeCredited));
        }

        return (units, credits);
    }
}
