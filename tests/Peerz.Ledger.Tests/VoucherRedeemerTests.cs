using System.Numerics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Contracts;
using Peerz.Ledger.Payments;
using Peerz.Testing.Chain;

namespace Peerz.Ledger.Tests;

/// <summary>Redemption against Hardhat's node, including a crash between sending the transaction and recording it.</summary>
[Trait("Category", "Chain")]
public sealed class VoucherRedeemerTests(PeerzDevnet devnet) : IClassFixture<PeerzDevnet>, IDisposable
{
    private readonly string _directory = TempDirectory.Create("redeem");

    [Fact]
    public async Task A_redemption_sent_just_before_a_crash_is_recorded_on_restart_not_sent_again()
    {
        var (provider, client) = (HardhatNode.Accounts[1], HardhatNode.Accounts[2]);
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, 5 * PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(5 * PeerzDevnet.Prz);
        await devnet.Escrow(client).ReserveAsync(provider.Address, PeerzDevnet.Prz); // only the client's lane to the provider pays it
        var path = Path.Combine(_directory, "provider.db");
        var ledger = await ProviderLedger.OpenAsync(path, devnet.Deployment.Escrow, default);
        BigInteger cumulative = 0;
        for (var nonce = 1; nonce <= 3; nonce++)
        {
            cumulative += PeerzDevnet.Prz / 10;
            var voucher = new Voucher(client.Address, provider.Address, cumulative, nonce);
            Assert.True((await ledger.ChargeAsync(voucher, voucher.Sign(client, devnet.Deployment.ChainId, devnet.Deployment.Escrow), PeerzDevnet.Prz / 10, default)).Accepted);
        }

        // The crash: the journal row is written and the transaction is mined, but the process dies before recording it.
        var held = (await ledger.GetHeldVoucherAsync(client.Address, provider.Address, default))!;
        await ledger.BeginRedemptionAsync(held.Voucher, default);
        await devnet.Escrow(provider).RedeemAsync(held.Voucher, held.Signature);
        var balance = await devnet.Token().BalanceOfAsync(provider.Address);
        var sentBefore = await devnet.Rpc.GetTransactionCountAsync(provider.Address);

        var restarted = await ProviderLedger.OpenAsync(path, devnet.Deployment.Escrow, default);
        var redeemer = new VoucherRedeemer(restarted, devnet.Escrow(provider), provider.Address, NullLogger<VoucherRedeemer>.Instance);
        Assert.Empty(await redeemer.RedeemAllAsync(default));
        Assert.Equal(sentBefore, await devnet.Rpc.GetTransactionCountAsync(provider.Address));
        Assert.Equal(balance, await devnet.Token().BalanceOfAsync(provider.Address));
        Assert.Equal(cumulative, await devnet.Escrow().RedeemedAsync(client.Address, provider.Address));
        Assert.Empty(await restarted.GetRedeemableAsync(provider.Address, default));
        Assert.Equal(1, (await restarted.CountRedemptionsAsync(client.Address, default))["confirmed"]);

        // Later work is redeemed normally, paying only the difference.
        var next = new Voucher(client.Address, provider.Address, cumulative + 7, 4);
        Assert.True((await restarted.ChargeAsync(next, next.Sign(client, devnet.Deployment.ChainId, devnet.Deployment.Escrow), 7, default)).Accepted);
        Assert.Equal(7, Assert.Single(await redeemer.RedeemAllAsync(default)).Paid);
        Assert.Equal(balance + 7, await devnet.Token().BalanceOfAsync(provider.Address));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        TempDirectory.Delete(_directory);
    }
}
