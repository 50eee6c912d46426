using System.Diagnostics;
using System.Numerics;
using Peerz.Discovery;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Node.Protocols;
using Peerz.Node.Serving;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Wire;
using Peerz.Testing.Chain;

namespace Peerz.Integration.Tests.Payments;

/// <summary>
/// Issue 22 #6 on real libp2p streams and Hardhat's node: opening a session is paid, one peer holds a bounded number
/// of sessions, and a session closes its idle timeout after its last accepted step however many bad steps arrive.
/// </summary>
[Trait("Category", "Chain")]
public sealed class SessionSlotTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncDisposable
{
    private static readonly BigInteger Price = 1_000_000_000_000;
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(4);
    private readonly PaidSwarm _swarm = PaidSwarm.InTemporaryDirectory(devnet, "session-slots");

    public ValueTask DisposeAsync() => _swarm.DisposeAsync();

    [Fact]
    public async Task Sixteen_streams_sending_a_bad_step_every_second_cannot_keep_paying_clients_out()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var local = LocalModel.Load(model.Directory);
        var limits = new ServingLimits { MaxSessions = 4, MaxSessionsPerPeer = 2, SessionIdleTimeout = IdleTimeout };
        var host = await _swarm.StartProviderAsync(checkpoint, 0, 4, await devnet.NewFundedAccountAsync(), Price, [], 100 * PeerzDevnet.Prz, limits: limits);
        var attacker = await devnet.NewFundedAccountAsync();
        await devnet.Token(attacker).ApproveAsync(devnet.Deployment.Escrow, PeerzDevnet.Prz);
        await devnet.Escrow(attacker).DepositAsync(PeerzDevnet.Prz);
        await devnet.Escrow(attacker).ReserveAsync(host.Payments.Options.Account, PeerzDevnet.Prz);
        var (attackerSwarm, _) = await _swarm.ConnectClientAsync(attacker, host.Node.ListenAddresses);
        var openCost = 1 * 4 * Price;

        // An open without a voucher holds nothing.
        var unpaid = await OpenAsync(attackerSwarm, host, null);
        Assert.Equal(ErrorCode.PaymentRequired, unpaid.Response.Error?.Code);
        await unpaid.Stream.DisposeAsync();

        // 16 paid opens from one peer: only the per-peer limit of them get a slot.
        var streams = new List<(Stream Stream, Stopwatch Open)>();
        var opened = 0;
        var busy = 0;
        for (var n = 1; n <= 16; n++)
        {
            var (stream, response) = await OpenAsync(attackerSwarm, host, ProviderCalls.Voucher(devnet, attacker, host, n * openCost, n));
            if (response.Opened is not null)
            {
                opened++;
                streams.Add((stream, Stopwatch.StartNew()));
                continue;
            }
            Assert.Equal(ErrorCode.Busy, response.Error?.Code);
            busy++;
            await stream.DisposeAsync();
        }
        Assert.Equal((2, 14), (opened, busy));
        Assert.Equal(2 * openCost, (await host.Payments.Ledger.GetHeldVoucherAsync(attacker.Address, host.Payments.Options.Account, CancellationToken.None))!.Charged);

        // The held sessions send a bad step every second; each is refused and does not count as activity.
        var closedAfter = streams.Select(held => Task.Run(async () =>
        {
            while (true)
            {
                await DelimitedMessages.WriteAsync(held.Stream, new InferenceRequest { Step = new InferenceStep { Step = 99 } }, CancellationToken.None);
                var reply = await DelimitedMessages.ReadAsync(held.Stream, InferenceResponse.Parser, 1 << 20, CancellationToken.None);
                if (reply?.Error?.Code == ErrorCode.Timeout) return held.Open.Elapsed;
                Assert.Equal(ErrorCode.BadRequest, reply?.Error?.Code);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        })).ToList();

        // Meanwhile a paying client gets a slot and generates.
        var client = await devnet.NewFundedAccountAsync();
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(PeerzDevnet.Prz);
        var (clientSwarm, payments) = await _swarm.ConnectClientAsync(client, host.Node.ListenAddresses);
        var tokens = await new TextGenerator(local.Head, PaidSwarm.Pipeline(clientSwarm, payments, 4)).GenerateAsync([1, 17, 42], new GenerationOptions { MaxNewTokens = 4 }).ToListAsync();
        Assert.Equal(4, tokens.Count);

        // The bad steps did not keep the attacker's sessions: they closed one idle timeout after opening
        // (on a provider that counts refused steps as activity they would never close).
        foreach (var closed in await Task.WhenAll(closedAfter).WaitAsync(TimeSpan.FromSeconds(60)))
            Assert.InRange(closed, IdleTimeout - TimeSpan.FromSeconds(1), IdleTimeout + TimeSpan.FromSeconds(3));
        foreach (var held in streams) await held.Stream.DisposeAsync();
    }

    private static async Task<(Stream Stream, InferenceResponse Response)> OpenAsync(SwarmClient swarm, PaidProviderHost host, Voucher? voucher)
    {
        var stream = await swarm.OpenStreamAsync(ProviderCalls.Record(host), PeerzProtocolIds.Inference, CancellationToken.None);
        var open = new OpenSession { ModelId = "tiny", BlockStart = 0, BlockEnd = 4, BatchSize = 1, MaxLength = 16 };
        if (voucher is not null) open.Voucher = voucher;
        await DelimitedMessages.WriteAsync(stream, new InferenceRequest { Open = open }, CancellationToken.None);
        var response = await DelimitedMessages.ReadAsync(stream, InferenceResponse.Parser, 1 << 20, CancellationToken.None) ?? throw new EndOfStreamException();
        return (stream, response);
    }
}
