using System.Numerics;
using Microsoft.Data.Sqlite;
using Peerz.Client.Payments;
using Peerz.Client.Routing;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Model.Tiny;
using Peerz.Testing.Chain;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// The verifier against real paid providers on Hardhat's node: honest providers in every serving mode pass,
/// a cheating provider is caught at the rate the sampling math predicts and slashed, and a provider that
/// cannot hand over its payload is slashed.
/// </summary>
public sealed class VerificationTests(TinyModelFixture model, PeerzDevnet devnet, ITestOutputHelper output)
    : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private readonly string _directory = TempDirectory.Create("verify");
    private Payments.PaidSwarm _swarm = null!;

    public Task InitializeAsync()
    {
        _swarm = new Payments.PaidSwarm(devnet, _directory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _swarm.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TempDirectory.Delete(_directory);
    }

    [Fact]
    public async Task Honest_providers_in_float32_bfloat16_and_int8_are_never_flagged()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var modes = new (string Name, BlockLoadOptions Load)[]
        {
            ("float32", new BlockLoadOptions()),
            ("bfloat16", new BlockLoadOptions { DType = TorchSharp.torch.ScalarType.BFloat16 }),
            ("int8", new BlockLoadOptions { Quantization = WeightQuantization.Int8 }),
        };
        var hosts = new List<Payments.PaidProviderHost>();
        for (var i = 0; i < modes.Length; i++)
            hosts.Add(await _swarm.StartProviderAsync(checkpoint, 0, 4, HardhatNode.Accounts[1 + i], Price, hosts.Count == 0 ? [] : hosts[0].Node.ListenAddresses, Stake, modes[i].Load));
        foreach (var host in hosts) await host.Node.AnnounceAsync(CancellationToken.None);
        var client = HardhatNode.Accounts[4];
        await Deposit(client);
        var (swarm, payments) = await _swarm.ConnectClientAsync(client, hosts[0].Node.ListenAddresses);
        var providers = await swarm.GetProvidersAsync("tiny", CancellationToken.None);
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger, rate: 1, seed: 1);

        foreach (var (name, _) in modes)
        {
            var provider = providers.Single(p => p.Account == hosts[Array.FindIndex(modes, m => m.Name == name)].Payments.Options.Account.ToString());
            var receipts = new List<PaymentRecord>();
            // Inference sessions: every receipt of two 12-token generations (prefill and decode steps).
            payments.Paid += receipts.Add;
            var pipeline = new Client.DistributedBlockPipeline(new Client.Remote.SpanRequest("tiny", 0, 4), new OnlyProvider(provider), swarm,
                new RoutePlanner(swarm.RoundTrip, new Random(1)), new Client.Remote.RemoteCallOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger<Client.DistributedBlockPipeline>.Instance, payments: payments);
            using var head = Model.Client.ClientHead.Load(checkpoint);
            foreach (var prompt in new[] { new[] { 3, 9, 27 }, new[] { 100, 50, 25, 12, 6 } })
                await new TextGenerator(head, pipeline).GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = 12 }).ToListAsync();
            payments.Paid -= receipts.Add;
            // Forward requests of several batch shapes.
            for (var i = 0; i < 6; i++)
                receipts.Add(await VerifierHarness.ForwardAsync(swarm, payments, provider, 1 + i % 3, 4 + 5 * i, TinyModelFixture.TestShape.Hidden, seed: i));

            var divergences = new List<double>();
            foreach (var receipt in receipts)
            {
                var outcome = (await harness.Service.CheckAsync(new ReportedReceipt(provider, receipt.Receipt), CancellationToken.None))!;
                Assert.True(outcome.Verdict == VerificationVerdict.Honest, $"{name}: {outcome.Detail}");
                divergences.Add(outcome.Divergence);
            }
            output.WriteLine($"{name}: {receipts.Count} receipts, honest divergence max {divergences.Max():G3}, mean {divergences.Average():G3}, tolerance {new VerificationTolerances().For(provider.DType, provider.Quantization):G3}");
        }
        foreach (var host in hosts) Assert.False((await devnet.Registry().GetProviderAsync(host.Payments.Options.Account)).Jailed);
    }

    [Fact]
    public async Task A_provider_cheating_on_a_fraction_of_answers_is_caught_at_the_predicted_rate_and_slashed()
    {
        using var honestCheckpoint = Checkpoint.Open(model.Directory);
        var cheaterDirectory = Path.Combine(_directory, "cheater-model");
        TinyModelGenerator.Write(cheaterDirectory, TinyModelFixture.TestShape with { Seed = TinyModelFixture.TestShape.Seed + 1 });
        using var cheaterCheckpoint = Checkpoint.Open(cheaterDirectory);
        // The cheater answers with other weights (a cheaper model): its outputs are wrong but signed like honest ones.
        var honest = await _swarm.StartProviderAsync(honestCheckpoint, 0, 4, HardhatNode.Accounts[5], Price, [], Stake);
        var cheater = await _swarm.StartProviderAsync(cheaterCheckpoint, 0, 4, HardhatNode.Accounts[6], Price, honest.Node.ListenAddresses, Stake);
        foreach (var host in new[] { honest, cheater }) await host.Node.AnnounceAsync(CancellationToken.None);
        var client = HardhatNode.Accounts[7];
        await Deposit(client);
        var (swarm, payments) = await _swarm.ConnectClientAsync(client, honest.Node.ListenAddresses);
        var providers = await swarm.GetProvidersAsync("tiny", CancellationToken.None);
        ProviderRecord Record(Payments.PaidProviderHost host) => providers.Single(p => p.Account == host.Payments.Options.Account.ToString());
        var honestPool = new List<PaymentRecord>();
        var cheatPool = new List<PaymentRecord>();
        for (var i = 0; i < 4; i++)
        {
            honestPool.Add(await VerifierHarness.ForwardAsync(swarm, payments, Record(honest), 1, 6 + i, TinyModelFixture.TestShape.Hidden, seed: 10 + i));
            cheatPool.Add(await VerifierHarness.ForwardAsync(swarm, payments, Record(cheater), 1, 6 + i, TinyModelFixture.TestShape.Hidden, seed: 20 + i));
        }
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger, rate: 1, seed: 2);

        // T trials of n answers, each a cheat with probability f; each answer is checked (a real fetch and
        // recomputation) with probability p. Caught within n answers: 1 - (1 - p f)^n.
        const int Trials = 300, Answers = 10;
        const double CheatFraction = 0.3, SampleRate = 0.2;
        var random = new Random(1234);
        var caught = 0;
        var honestChecks = 0;
        for (var trial = 0; trial < Trials; trial++)
        {
            var detected = false;
            for (var answer = 0; answer < Answers && !detected; answer++)
            {
                var cheats = random.NextDouble() < CheatFraction;
                if (random.NextDouble() >= SampleRate) continue;
                var (pool, host) = cheats ? (cheatPool, cheater) : (honestPool, honest);
                var outcome = await harness.Verifier.VerifyAsync(Record(host), pool[random.Next(pool.Count)].Receipt, CancellationToken.None);
                Assert.Equal(cheats, outcome.IsFraud);
                honestChecks += cheats ? 0 : 1;
                detected = outcome.IsFraud;
            }
            caught += detected ? 1 : 0;
        }
        var predicted = 1 - Math.Pow(1 - SampleRate * CheatFraction, Answers);
        var observed = (double)caught / Trials;
        var sigma = Math.Sqrt(predicted * (1 - predicted) / Trials);
        output.WriteLine($"caught in {caught}/{Trials} trials = {observed:F3}; predicted {predicted:F3} ± {sigma:F3} (1 sigma); {honestChecks} honest answers checked, none flagged");
        Assert.InRange(observed, predicted - 4 * sigma, predicted + 4 * sigma);

        // The first catch through the service slashes on chain with the cheater's own receipt.
        var stakeBefore = (await devnet.Registry().GetProviderAsync(cheater.Payments.Options.Account)).Stake;
        var verdict = await harness.Service.CheckAsync(new ReportedReceipt(Record(cheater), cheatPool[0].Receipt), CancellationToken.None);
        Assert.Equal(VerificationVerdict.Mismatch, verdict!.Verdict);
        var after = await devnet.Registry().GetProviderAsync(cheater.Payments.Options.Account);
        Assert.True(after.Jailed);
        Assert.True(after.Stake < stakeBefore);
        Assert.False((await devnet.Registry().GetProviderAsync(honest.Payments.Options.Account)).Jailed);
        Assert.Equal(1, (await ledger.CountAsync(cheater.Payments.Options.Account.ToString(), CancellationToken.None))[VerificationVerdict.Mismatch]);
    }

    [Fact]
    public async Task A_provider_that_cannot_produce_the_payload_is_slashed()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var provider = await _swarm.StartProviderAsync(checkpoint, 0, 4, await devnet.NewFundedAccountAsync(), Price, [], Stake);
        var client = await devnet.NewFundedAccountAsync();
        await Deposit(client);
        var (swarm, payments) = await _swarm.ConnectClientAsync(client, provider.Node.ListenAddresses);
        var record = Assert.Single(await swarm.GetProvidersAsync("tiny", CancellationToken.None));
        var receipt = await VerifierHarness.ForwardAsync(swarm, payments, record, 1, 5, TinyModelFixture.TestShape.Hidden, seed: 3);

        await provider.Payments.Ledger.PruneStepsAsync(DateTimeOffset.MaxValue, CancellationToken.None); // the payload is gone
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_directory, "verifier-missing.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger, rate: 1, seed: 3);
        var outcome = await harness.Service.CheckAsync(new ReportedReceipt(record, receipt.Receipt), CancellationToken.None);
        Assert.Equal(VerificationVerdict.MissingPayload, outcome!.Verdict);
        Assert.Contains("NotFound", outcome.Detail);
        Assert.True((await devnet.Registry().GetProviderAsync(provider.Payments.Options.Account)).Jailed);
        Assert.Null(await harness.Service.CheckAsync(new ReportedReceipt(record, receipt.Receipt), CancellationToken.None)); // never judged twice
    }

    private async Task Deposit(Chain.Crypto.EthKey client)
    {
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, 10 * PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(10 * PeerzDevnet.Prz);
    }

    /// <summary>A directory that offers a single provider, so the route goes through the mode under test.</summary>
    private sealed class OnlyProvider(ProviderRecord provider) : IProviderDirectory
    {
        public Task<IReadOnlyList<ProviderRecord>> GetProvidersAsync(string modelId, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ProviderRecord>>([provider]);
    }
}
