using System.Numerics;
using Peerz.Model.Checkpoints;
using Peerz.Testing.Chain;

namespace Peerz.Integration.Tests.Payments;

/// <summary>
/// Requests to one provider go one at a time (vouchers arrive in nonce order), and a request queued behind an unanswered
/// one gives up after <see cref="Client.Payments.ClientPaymentOptions.ProviderQueueTimeout"/> instead of waiting for
/// good: the chaos soak saw two gateway sessions each hold one provider of a shared route and wait for the other's.
/// </summary>
[Trait("Category", "Chain")]
public sealed class ProviderQueueTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncDisposable
{
    private static readonly BigInteger Price = 1_000_000_000_000;
    private readonly PaidSwarm _swarm = PaidSwarm.InTemporaryDirectory(devnet, "provider-queue");

    public ValueTask DisposeAsync() => _swarm.DisposeAsync();

    [Fact]
    public async Task A_request_queued_behind_an_unanswered_one_gives_up_with_a_timeout_and_signs_nothing()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var host = await _swarm.StartProviderAsync(checkpoint, 0, 4, await devnet.NewFundedAccountAsync(), Price, [], 100 * PeerzDevnet.Prz);
        var client = await devnet.NewFundedAccountAsync();
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(PeerzDevnet.Prz);
        var (swarm, payments) = await _swarm.ConnectClientAsync(client, host.Node.ListenAddresses, providerQueueTimeout: TimeSpan.FromMilliseconds(300));
        var provider = (await swarm.GetProvidersAsync("tiny", CancellationToken.None)).Single();

        var first = await payments.BeginAsync(provider, 3, 4, CancellationToken.None);

        // The first is never answered: the second waits its bounded time, then fails like an unresponsive provider.
        var error = await Assert.ThrowsAsync<TimeoutException>(() => payments.BeginAsync(provider, 5, 4, CancellationToken.None));
        Assert.Contains(provider.PeerId, error.Message);

        // Once the first is done the provider takes requests again: the next voucher follows the first directly (next
        // nonce, cumulative amount up by its own cost, 5 tokens × 4 blocks × price), so the timed-out one reserved nothing.
        await first.DisposeAsync();
        await using var third = await payments.BeginAsync(provider, 5, 4, CancellationToken.None);
        Assert.Equal(Number(first.Voucher!.Nonce) + 1, Number(third.Voucher!.Nonce));
        Assert.Equal(Number(first.Voucher.CumulativeAmount) + 5 * 4 * Price, Number(third.Voucher.CumulativeAmount));
    }

    private static BigInteger Number(Google.Protobuf.ByteString bytes) => new(bytes.Span, isUnsigned: true, isBigEndian: true);
}
