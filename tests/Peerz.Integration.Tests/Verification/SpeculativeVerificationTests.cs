using System.Numerics;
using Microsoft.Extensions.Logging;
using Peerz.Client;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Discovery;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Model.Tiny;
using Peerz.Testing.Chain;
using Peerz.Testing.Logging;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// Speculative decoding on a paid push route on Hardhat's node: every step rolls the providers' sessions back past the
/// rejected drafts, every hop is paid for each position it computed (rolled-back ones included), and the verifier, which
/// replays each session with its rollbacks, finds honest hops honest and still catches a hop that answers wrongly.
/// </summary>
[Trait("Category", "Chain")]
public sealed class SpeculativeVerificationTests(TinyModelFixture model, PeerzDevnet devnet, ITestOutputHelper output) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    // Chosen so the tiny model's continuation has drafts both kept and rejected by the n-gram drafter.
    private static readonly int[] Prompt = [5];
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 16 };
    private static readonly (int Start, int End)[] Spans = [(0, 1), (1, 3), (3, 4)];
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private readonly VerifiedSwarm _swarm = VerifiedSwarm.Create(devnet, "speculative-verify", TestOutputLogs.Factory(output));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _swarm.DisposeAsync();

    [Fact]
    public async Task A_paid_speculative_session_pays_every_computed_position_and_every_receipt_verifies()
    {
        using var local = LocalModel.Load(model.Directory);
        var expected = await local.CreateGenerator().GenerateAsync(Prompt, Greedy).ToListAsync();
        using var checkpoint = Checkpoint.Open(model.Directory);
        var run = await RunAsync(local, [checkpoint, checkpoint, checkpoint]);

        Assert.Equal(expected, run.Tokens);
        Assert.True(run.Statistics.Drafted > run.Statistics.Accepted && run.Statistics.Accepted > 0, "the session was never rolled back past a kept draft");
        // Each step computes its pending token and its drafts: the prompt, every draft, and one pending token per later step.
        var positions = Prompt.Length + run.Statistics.Drafted + run.Statistics.Steps - 1;
        for (var i = 0; i < Spans.Length; i++)
        {
            var paid = run.Receipts.Where(r => r.Provider.Account == run.Hosts[i].Payments.Options.Account).ToList();
            Assert.Equal(run.Statistics.Steps, paid.Count);
            Assert.Equal(positions * (Spans[i].End - Spans[i].Start) * Price, paid.Aggregate(BigInteger.Zero, (sum, r) => sum + r.Cost));
        }
        foreach (var (_, outcome) in await VerifyAsync(run))
            Assert.True(outcome.Verdict == VerificationVerdict.Honest, $"{outcome.Verdict}: {outcome.Detail}");
    }

    [Fact]
    public async Task A_hop_answering_wrongly_in_a_rolled_back_session_is_flagged_and_the_honest_hops_are_not()
    {
        using var local = LocalModel.Load(model.Directory);
        using var checkpoint = Checkpoint.Open(model.Directory);
        var cheaterDirectory = Path.Combine(_swarm.Directory, "cheater-model");
        TinyModelGenerator.Write(cheaterDirectory, TinyModelFixture.TestShape with { Seed = TinyModelFixture.TestShape.Seed + 1 });
        using var cheaterCheckpoint = Checkpoint.Open(cheaterDirectory);
        // The middle hop computes with other weights: its outputs are wrong but signed like honest ones.
        var run = await RunAsync(local, [checkpoint, cheaterCheckpoint, checkpoint]);
        Assert.True(run.Statistics.Drafted > run.Statistics.Accepted, "no draft was rejected, so the session was never rolled back");

        var cheater = run.Hosts[1].Payments.Options.Account;
        var outcomes = await VerifyAsync(run);
        Assert.All(outcomes.Where(o => o.Receipt.Provider.Account == cheater), o => Assert.Equal(VerificationVerdict.Mismatch, o.Outcome.Verdict));
        // The last hop computed honestly on the wrong input it was given, and its receipt says so.
        Assert.All(outcomes.Where(o => o.Receipt.Provider.Account != cheater), o => Assert.True(o.Outcome.Verdict == VerificationVerdict.Honest, o.Outcome.Detail));
        Assert.Equal(run.Statistics.Steps, outcomes.Count(o => o.Receipt.Provider.Account == cheater));
    }

    private sealed record Run(List<int> Tokens, SpeculativeStatistics Statistics, List<PaymentRecord> Receipts, List<Payments.PaidProviderHost> Hosts, SwarmClient Swarm);

    private async Task<Run> RunAsync(LocalModel local, Checkpoint[] checkpoints)
    {
        var hosts = new List<Payments.PaidProviderHost>();
        for (var i = 0; i < Spans.Length; i++)
            hosts.Add(await _swarm.Clients.StartProviderAsync(checkpoints[i], Spans[i].Start, Spans[i].End, await devnet.NewFundedAccountAsync(), Price,
                hosts.Count == 0 ? [] : hosts[0].Node.ListenAddresses, Stake));
        foreach (var host in hosts) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await _swarm.ConnectPayingClientAsync(await devnet.NewFundedAccountAsync(), hosts[0].Node.ListenAddresses);
        var receipts = new List<PaymentRecord>();
        payments.Paid += receipts.Add;

        var pipeline = new DistributedBlockPipeline(new SpanRequest("tiny", 0, 4), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(1)),
            new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, new Logger<DistributedBlockPipeline>(TestOutputLogs.Factory(output)), payments: payments, push: new PushRouting());
        var generator = new SpeculativeGenerator(local.Head, pipeline, new NGramDrafter(), 4);
        var tokens = await generator.GenerateAsync(Prompt, Greedy).ToListAsync();
        return new Run(tokens, generator.Statistics, receipts, hosts, swarm);
    }

    private async Task<List<(PaymentRecord Receipt, VerificationOutcome Outcome)>> VerifyAsync(Run run)
    {
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, run.Swarm, ledger);
        var outcomes = new List<(PaymentRecord, VerificationOutcome)>();
        foreach (var receipt in run.Receipts)
            outcomes.Add((receipt, (await harness.Service.CheckAsync(receipt.Receipt, CancellationToken.None))!));
        return outcomes;
    }
}
