using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Model.Checkpoints;
using Peerz.Protocol.Wire;
using Peerz.Testing.Chain;

namespace Peerz.Integration.Tests.Payments;

/// <summary>
/// Issue 21 #2 from the provider's side, on Hardhat's node: a provider accepts vouchers only up to what the client's
/// lane to it can pay, so one deposit cannot buy a full deposit's worth from each of two providers, and a client that
/// asks for its lane back cannot keep buying with it; everything a provider accepted is redeemed in full.
/// </summary>
[Trait("Category", "Chain")]
public sealed class EscrowLaneTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncDisposable
{
    private static readonly BigInteger Price = 1_000_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private const int Tokens = 10;
    private readonly PaidSwarm _swarm = PaidSwarm.InTemporaryDirectory(devnet, "lanes");

    /// <summary>One forward request of <see cref="Tokens"/> tokens through 4 blocks.</summary>
    private static BigInteger Cost => Tokens * 4 * Price;

    public ValueTask DisposeAsync() => _swarm.DisposeAsync();

    [Fact]
    public async Task One_deposit_cannot_make_two_providers_each_compute_a_full_deposits_worth()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var (keyA, keyB) = (await devnet.NewFundedAccountAsync(), await devnet.NewFundedAccountAsync());
        var a = await _swarm.StartProviderAsync(checkpoint, 0, 4, keyA, Price, [], Stake);
        var b = await _swarm.StartProviderAsync(checkpoint, 0, 4, keyB, Price, a.Node.ListenAddresses, Stake);
        var client = await devnet.NewFundedAccountAsync();
        var deposit = 10 * Cost;
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, deposit);
        await devnet.Escrow(client).DepositAsync(deposit);
        await devnet.Escrow(client).ReserveAsync(keyA.Address, deposit / 2);
        await devnet.Escrow(client).ReserveAsync(keyB.Address, deposit / 2);
        var (swarm, _) = await _swarm.ConnectClientAsync(client, a.Node.ListenAddresses);

        // The cheating client sends each provider vouchers for the whole deposit, one request's worth at a time.
        async Task<int> AcceptedAsync(PaidProviderHost host)
        {
            var accepted = 0;
            for (var n = 1; n <= 10; n++)
            {
                var response = await ProviderCalls.ForwardAsync(swarm, host, ProviderCalls.Forward(host, Tokens, ProviderCalls.Voucher(devnet, client, host, n * Cost, n)));
                if (response.Error is { } error)
                {
                    Assert.Equal(ErrorCode.PaymentRequired, error.Code);
                    Assert.Contains("lane", error.Message);
                    continue;
                }
                accepted++;
            }
            return accepted;
        }
        Assert.Equal(5, await AcceptedAsync(a));
        Assert.Equal(5, await AcceptedAsync(b));

        // Each provider's unpaid exposure never exceeded its own lane, and redeeming pays all of it.
        foreach (var (host, key) in new[] { (a, keyA), (b, keyB) })
        {
            var held = await host.Payments.Ledger.GetHeldVoucherAsync(client.Address, key.Address, CancellationToken.None);
            Assert.Equal(5 * Cost, held!.Charged);
            Assert.Equal(5 * Cost, Assert.Single(await host.Redeemer.RedeemAllAsync(CancellationToken.None)).Paid);
            Assert.Equal(5 * Cost, await devnet.Escrow().RedeemedAsync(client.Address, key.Address));
        }
    }

    [Fact]
    public async Task The_client_tops_its_lane_up_by_the_lane_amount_or_the_shortfall_if_larger()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var key = await devnet.NewFundedAccountAsync();
        var host = await _swarm.StartProviderAsync(checkpoint, 0, 4, key, Price, [], Stake);
        var client = await devnet.NewFundedAccountAsync();
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, 10 * Cost);
        await devnet.Escrow(client).DepositAsync(10 * Cost);
        var record = ProviderCalls.Record(host);
        async Task<BigInteger> LaneAfterOneRequestAsync(BigInteger laneAmount)
        {
            var (_, payments) = await _swarm.ConnectClientAsync(client, host.Node.ListenAddresses, laneAmount);
            await using var paid = await payments.BeginAsync(record, Tokens, 4, CancellationToken.None);
            await host.Payments.ChargeAsync(paid.Voucher, Tokens, 4, CancellationToken.None);
            return (await devnet.Escrow().LaneAsync(client.Address, key.Address)).Amount;
        }

        // A top-up of 1 wei is below the shortfall of one request: exactly the shortfall is reserved.
        Assert.Equal(Cost, await LaneAfterOneRequestAsync(1));
        // A top-up of 3 requests' worth reserves that much once the lane runs short.
        Assert.Equal(Cost + (3 * Cost), await LaneAfterOneRequestAsync(3 * Cost));
        Assert.Equal(6 * Cost, await devnet.Escrow().BalanceOfAsync(client.Address));
    }

    [Fact]
    public async Task After_a_release_request_the_provider_refuses_the_released_part_and_is_paid_for_everything_it_accepted()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var key = await devnet.NewFundedAccountAsync();
        // The lane is read fresh for every voucher, so the refusal below does not wait for a cache to expire.
        var host = await _swarm.StartProviderAsync(checkpoint, 0, 4, key, Price, [], Stake, laneCacheTtl: TimeSpan.Zero);
        var client = await devnet.NewFundedAccountAsync();
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, 5 * Cost);
        await devnet.Escrow(client).DepositAsync(5 * Cost);
        await devnet.Escrow(client).ReserveAsync(key.Address, 5 * Cost);
        var (swarm, _) = await _swarm.ConnectClientAsync(client, host.Node.ListenAddresses);
        Task<ForwardResponse> Buy(int n) => ProviderCalls.ForwardAsync(swarm, host, ProviderCalls.Forward(host, Tokens, ProviderCalls.Voucher(devnet, client, host, n * Cost, n)));
        var providerBefore = await devnet.Token().BalanceOfAsync(key.Address);

        Assert.Null((await Buy(1)).Error);
        Assert.Null((await Buy(2)).Error);
        // The client asks for 4 of its 5 requests' worth back: only 1 remains spendable, and 2 are already accepted.
        await devnet.Escrow(client).RequestReleaseAsync(key.Address, 4 * Cost);
        var refused = (await Buy(3)).Error;
        Assert.NotNull(refused);
        Assert.Equal(ErrorCode.PaymentRequired, refused.Code);
        Assert.Equal(2 * Cost, (await host.Payments.Ledger.GetHeldVoucherAsync(client.Address, key.Address, CancellationToken.None))!.Charged);

        // The provider redeems within the withdrawal delay (its redeem interval must be shorter: checked at start).
        Assert.Equal(2 * Cost, Assert.Single(await host.Redeemer.RedeemAllAsync(CancellationToken.None)).Paid);
        await devnet.AdvanceTimeAsync(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        await devnet.Escrow(client).ReleaseAsync(key.Address);
        Assert.Equal(providerBefore + (2 * Cost) - await devnet.FeeOfAsync(2 * Cost), await devnet.Token().BalanceOfAsync(key.Address));
        Assert.Equal(3 * Cost, await devnet.Escrow().BalanceOfAsync(client.Address));
        Assert.Equal(BigInteger.Zero, (await devnet.Escrow().LaneAsync(client.Address, key.Address)).Amount);
    }
}
