using System.Numerics;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Model.Checkpoints;
using Peerz.Node.Protocols;
using Peerz.Protocol.Wire;
using Peerz.Testing.Chain;
using static TorchSharp.torch;

namespace Peerz.Integration.Tests.Payments;

/// <summary>
/// Issue 22 #12: work refused after its voucher was checked (here: the span retired between the check and the
/// compute) is not charged, as the error tells the client, so client and provider agree on what is owed and the
/// next voucher is accepted instead of both sides deadlocking on PAYMENT_REQUIRED.
/// </summary>
[Trait("Category", "Chain")]
public sealed class ChargedThenRefusedTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncDisposable
{
    private static readonly BigInteger Price = 1_000_000_000_000;
    private readonly PaidSwarm _swarm = PaidSwarm.InTemporaryDirectory(devnet, "charged-refused");

    public ValueTask DisposeAsync() => _swarm.DisposeAsync();

    [Fact]
    public async Task Work_refused_after_the_voucher_check_is_not_charged_and_the_next_voucher_is_accepted()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var providerKey = await devnet.NewFundedAccountAsync();
        var host = await _swarm.StartProviderAsync(checkpoint, 0, 4, providerKey, Price, [], 100 * PeerzDevnet.Prz);
        var client = await devnet.NewFundedAccountAsync();
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(PeerzDevnet.Prz);
        var (swarm, payments) = await _swarm.ConnectClientAsync(client, host.Node.ListenAddresses);
        var record = ProviderCalls.Record(host);
        var payee = new PaidProvider(payments, record);
        var span = new SpanRequest("tiny", 0, 4);
        using var hidden = randn([1, 5, host.Served.Blocks.Config.HiddenSize]);
        var cost = 5 * 4 * Price;
        async Task<Tensor> ForwardAsync()
        {
            await using var stream = await swarm.OpenStreamAsync(record, PeerzProtocolIds.Forward, CancellationToken.None);
            return await RemoteTraining.ForwardAsync(stream, span, hidden, null, null, new RemoteCallOptions(), payee, CancellationToken.None);
        }

        (await ForwardAsync()).Dispose();
        async Task<BigInteger> ChargedAsync() => (await host.Payments.Ledger.GetHeldVoucherAsync(client.Address, providerKey.Address, CancellationToken.None))!.Charged;
        Assert.Equal(cost, await ChargedAsync());

        // The span is retired: the voucher checks out, the compute is refused, and nothing is charged.
        await host.Served.RetireAsync(TimeSpan.Zero, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<PeerzRequestException>(ForwardAsync);
        Assert.Equal(ErrorCode.WrongSpan, refused.Code);
        Assert.Equal(cost, await ChargedAsync());

        // Both sides agree on what is owed, so the next voucher the client signs is one the provider accepts.
        await using var next = await payments.BeginAsync(record, 5, 4, CancellationToken.None);
        await host.Payments.ChargeAsync(next.Voucher, 5, 4, CancellationToken.None);
        Assert.Equal(2 * cost, await ChargedAsync());
        Assert.Equal(2 * cost, Assert.Single(await host.Redeemer.RedeemAllAsync(CancellationToken.None)).Paid);
    }
}
