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
            new Dictionary<(Address, Address), BigInteger> { [(Provider, Client)] = 100 });
        Assert.Equal([(RewardRole.Inference, new BigInteger(30)), (RewardRole.Training, new BigInteger(10))], units.Select(u => (u.Role, u.Units)).OrderBy(u => u.Role));
        Assert.Equal(new PairCredit(Provider, Client, 40, 40), Assert.Single(credits));
    }

    [Fact]
    public void Claims_beyond_the_backing_get_at_most_the_backing_split_by_role()
    {
        // 40 claimed, 10 backed: inference ⌊10·30/40⌋ = 7, training ⌊10·10/40⌋ = 2; 1 wei of backing stays for later epochs.
        var (units, credits) = PaymentBacking.Credit(
            [new(Provider, Client, RewardRole.Inference, 30), new(Provider, Client, RewardRole.Training, 10)],
            new Dictionary<(Address, Address), BigInteger> { [(Provider, Client)] = 10 });
        Assert.Equal([(RewardRole.Inference, new BigInteger(7)), (RewardRole.Training, new BigInteger(2))], units.Select(u => (u.Role, u.Units)).OrderBy(u => u.Role));
        Assert.Equal(new PairCredit(Provider, Client, 40, 9), Assert.Single(credits));
    }

    [Fact]
    public void A_pair_without_redemption_or_whose_backing_earlier_epochs_used_up_earns_nothing()
    {
        var (units, credits) = PaymentBacking.Credit(
            [new(Provider, Sybil, RewardRole.Inference, BigInteger.Pow(2, 200)), new(Provider, Client, RewardRole.Inference, 5)],
            new Dictionary<(Address, Address), BigInteger> { [(Provider, Client)] = -3 });
        Assert.Empty(units);
        Assert.All(credits, c => Assert.Equal(BigInteger.Zero, c.Credited));
    }
}
