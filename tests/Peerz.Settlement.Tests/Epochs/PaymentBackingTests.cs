using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Epochs;

namespace Peerz.Settlement.Tests.Epochs;

public sealed class PaymentBackingTests
{
    private static readonly Address Provider = EthKey.Generate().Address;
    private static readonly Address Client = EthKey.Generate().Address;
    private static readonly Address Sybil = EthKey.Generate().Address;

    [Fact]
    public void Fully_backed_work_is_credited_as_claimed_in_each_role()
    {
        var (units, credits) = PaymentBacking.Credit(
            [new(Provider, Client, RewardRole.Inference, 30), new(Provider, Client, RewardRole.Training, 10)],
            new Dictionary<(Address, Address), PairBacking> { [(Provider, Client)] = new(100, 5) });
        Assert.Equal([(RewardRole.Inference, new BigInteger(30)), (RewardRole.Training, new BigInteger(10))], units.Select(u => (u.Role, u.Units)).OrderBy(u => u.Role));
        // 40 of the 100 redeemed are credited, so 40 % of the 5 wei fee: 2 wei, and the shares are capped at half
        // their fee part: inference ⌊⌊5·30/100⌋/2⌋ = 0, training ⌊⌊5·10/100⌋/2⌋ = 0.
        Assert.Equal(new PairCredit(Provider, Client, 40, 40, 2), Assert.Single(credits));
        Assert.All(units, u => Assert.Equal(BigInteger.Zero, u.Cap));
    }

    [Fact]
    public void Claims_beyond_the_backing_get_at_most_the_backing_split_by_role()
    {
        // 40 claimed, 10 backed: inference ⌊10·30/40⌋ = 7, training ⌊10·10/40⌋ = 2; 1 wei of backing stays for later epochs.
        var (units, credits) = PaymentBacking.Credit(
            [new(Provider, Client, RewardRole.Inference, 30), new(Provider, Client, RewardRole.Training, 10)],
            new Dictionary<(Address, Address), PairBacking> { [(Provider, Client)] = new(10, 1_000) });
        Assert.Equal([(RewardRole.Inference, new BigInteger(7)), (RewardRole.Training, new BigInteger(2))], units.Select(u => (u.Role, u.Units)).OrderBy(u => u.Role));
        // The fee follows the credited part: ⌊1000·9/10⌋ = 900; caps ⌊⌊1000·7/10⌋/2⌋ = 350 and ⌊⌊1000·2/10⌋/2⌋ = 100.
        Assert.Equal(new PairCredit(Provider, Client, 40, 9, 900), Assert.Single(credits));
        Assert.Equal([new BigInteger(350), new BigInteger(100)], units.OrderBy(u => u.Role).Select(u => u.Cap!.Value));
    }

    [Fact]
    public void A_pair_without_redemption_or_whose_backing_earlier_epochs_used_up_earns_nothing()
    {
        var (units, credits) = PaymentBacking.Credit(
            [new(Provider, Sybil, RewardRole.Inference, BigInteger.Pow(2, 200)), new(Provider, Client, RewardRole.Inference, 5)],
            new Dictionary<(Address, Address), PairBacking> { [(Provider, Client)] = new(-3, 7) });
        Assert.Empty(units);
        Assert.All(credits, c => Assert.Equal((BigInteger.Zero, BigInteger.Zero), (c.Credited, c.FeeCredited)));
    }
}
