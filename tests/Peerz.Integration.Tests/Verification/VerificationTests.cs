using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Primitives;
using Peerz.Client.Payments;
using Peerz.Client.Routing;
using Peerz.Discovery;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Model.Tiny;
using Peerz.Protocol.Payments;
using Peerz.Testing.Chain;
using Peerz.Verifier.Providers;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// The verifier against real paid providers on Hardhat's node: honest providers in every serving mode pass, a
/// cheating provider is caught at the rate the session sampling math predicts and a slash is proposed with a recomputed output
/// hash an arbiter can reproduce, and a peer announcing someone else's account cannot get that provider slashed.
/// </summary>
[Trait("Category", "Chain")]
public sealed class VerificationTests(TinyModelFixture model, PeerzDevnet devnet, ITestOutputHelper output)
    : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private readonly VerifiedSwarm _swarm = VerifiedSwarm.Create(devnet, "verify");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _swarm.DisposeAsync();

    [Fact]
    public async Task Honest_providers_in_float32_bfloat16_int8_and_nf4_are_never_flagged()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var modes = new (string Name, BlockLoadOptions Load)[]
        {
            ("float32", new BlockLoadOptions()),
            ("bfloat16", new BlockLoadOptions { DType = TorchSharp.torch.ScalarType.BFloat16 }),
            ("int8", new BlockLoadOptions { Quantization = WeightQuantization.Int8 }),
            ("nf4", new BlockLoadOptions { Quantization = WeightQuantization.Nf4 }),
        };
        var hosts = new List<Payments.PaidProviderHost>();
        for (var i = 0; i < modes.Length; i++)
            hosts.Add(await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, hosts.Count == 0 ? [] : hosts[0].Node.ListenAddresses, Stake, modes[i].Load));
        foreach (var host in hosts) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await _swarm.ConnectPayingClientAsync(HardhatNode.Accounts[4], hosts[0].Node.ListenAddresses);
        var providers = await swarm.GetProvidersAsync("tiny", CancellationToken.None);
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger);

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
                var outcome = (await harness.Service.CheckAsync(receipt.Receipt, CancellationToken.None))!;
                Assert.True(outcome.Verdict == VerificationVerdict.Honest, $"{name}: {outcome.Detail}");
                divergences.Add(outcome.Divergence);
            }
            output.WriteLine($"{name}: {receipts.Count} receipts, honest divergence max {divergences.Max():G3}, mean {divergences.Average():G3}, tolerance {Tolerance(receipts[0].Receipt):G3} (signed serving mode {ServingMode.Decode(receipts[0].Receipt.Receipt.ServingMode)})");
        }
        foreach (var host in hosts) Assert.False((await devnet.Registry().GetProviderAsync(host.Payments.Options.Account)).Jailed);
    }

    [Fact]
    public async Task A_provider_cheating_on_a_fraction_of_answers_is_caught_at_the_predicted_rate_and_slashed()
    {
        using var honestCheckpoint = Checkpoint.Open(model.Directory);
        var cheaterDirectory = Path.Combine(_swarm.Directory, "cheater-model");
        TinyModelGenerator.Write(cheaterDirectory, TinyModelFixture.TestShape with { Seed = TinyModelFixture.TestShape.Seed + 1 });
        using var cheaterCheckpoint = Checkpoint.Open(cheaterDirectory);
        // The cheater answers with other weights (a cheaper model): its outputs are wrong but signed like honest ones.
        var honest = await _swarm.StartProviderAsync(honestCheckpoint, HardhatNode.Accounts[5], Price, [], Stake);
        var cheater = await _swarm.StartProviderAsync(cheaterCheckpoint, HardhatNode.Accounts[6], Price, honest.Node.ListenAddresses, Stake);
        foreach (var host in new[] { honest, cheater }) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await _swarm.ConnectPayingClientAsync(HardhatNode.Accounts[7], honest.Node.ListenAddresses);
        var providers = await swarm.GetProvidersAsync("tiny", CancellationToken.None);
        ProviderRecord Record(Payments.PaidProviderHost host) => providers.Single(p => p.Account == host.Payments.Options.Account.ToString());
        // Pools of real paid work, of both lengths the trials use: forward requests (single-step sessions, m = 1) and
        // greedy generations (inference sessions of several steps, checked through their last receipt).
        var honestPool = new List<PaymentRecord>();
        var cheatPool = new List<PaymentRecord>();
        for (var i = 0; i < 4; i++)
        {
            honestPool.Add(await VerifierHarness.ForwardAsync(swarm, payments, Record(honest), 1, 6 + i, TinyModelFixture.TestShape.Hidden, seed: 10 + i));
            cheatPool.Add(await VerifierHarness.ForwardAsync(swarm, payments, Record(cheater), 1, 6 + i, TinyModelFixture.TestShape.Hidden, seed: 20 + i));
        }
        using var head = Model.Client.ClientHead.Load(honestCheckpoint);
        var honestSessions = new List<PaymentRecord>();
        var cheatSessions = new List<PaymentRecord>();
        foreach (var prompt in new[] { new[] { 3, 9, 27 }, new[] { 100, 50, 25 } })
        {
            honestSessions.Add((await VerifierHarness.GenerateAsync(swarm, payments, Record(honest), head, prompt, 8))[^1]);
            cheatSessions.Add((await VerifierHarness.GenerateAsync(swarm, payments, Record(cheater), head, prompt, 8))[^1]);
        }
        var steps = honestSessions[0].Receipt.Receipt.Step + 1;
        Assert.All(honestSessions.Concat(cheatSessions), s => Assert.Equal(steps, s.Receipt.Receipt.Step + 1));
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger);
        var registered = new Dictionary<Payments.PaidProviderHost, RegisteredProvider?>
        {
            [honest] = await harness.Resolver.ResolveAsync(honest.Payments.Options.Account, CancellationToken.None),
            [cheater] = await harness.Resolver.ResolveAsync(cheater.Payments.Options.Account, CancellationToken.None),
        };

        // T trials of n sessions, of lengths alternating 1 and m; the cheater cheats on a whole session with probability
        // F (clustered cheating, the case where session sampling gains least); a session of m steps is checked (a real
        // fetch of all its steps and a recomputation) with probability q(m) = min(1, p (1 + f m)), the verifier's own
        // SamplingDecision. Caught within n sessions: 1 - prod_i (1 - F q(m_i)).
        const int Trials = 300, Sessions = 5;
        const double CheatFraction = 0.3;
        var sampling = new SamplingDecision(await ledger.SamplingSecretAsync(CancellationToken.None), rate: 0.2, designCheatRate: 0.1);
        var lengths = Enumerable.Range(0, Sessions).Select(i => i % 2 == 0 ? 1UL : steps).ToArray();
        var random = new Random(1234);
        var caught = 0;
        var honestChecks = 0;
        for (var trial = 0; trial < Trials; trial++)
        {
            var detected = false;
            for (var session = 0; session < Sessions && !detected; session++)
            {
                var cheats = random.NextDouble() < CheatFraction;
                // The session's draw u: uniform and independent per session, as HMAC(secret, session key) is for anyone without the secret.
                if (random.NextDouble() >= sampling.Threshold(lengths[session])) continue;
                var pool = (lengths[session] == 1, cheats) switch
                {
                    (true, true) => cheatPool,
                    (true, false) => honestPool,
                    (false, true) => cheatSessions,
                    (false, false) => honestSessions,
                };
                var outcome = await harness.Verifier.VerifyAsync(registered[cheats ? cheater : honest], pool[random.Next(pool.Count)].Receipt, CancellationToken.None);
                Assert.Equal(cheats ? VerificationVerdict.Mismatch : VerificationVerdict.Honest, outcome.Verdict);
                honestChecks += cheats ? 0 : 1;
                detected = cheats;
            }
            caught += detected ? 1 : 0;
        }
        var predicted = 1 - lengths.Aggregate(1.0, (escaped, m) => escaped * (1 - CheatFraction * sampling.Threshold(m)));
        var observed = (double)caught / Trials;
        var sigma = Math.Sqrt(predicted * (1 - predicted) / Trials);
        output.WriteLine($"sessions of {string.Join(", ", lengths)} steps: caught in {caught}/{Trials} trials = {observed:F3}; predicted {predicted:F3} ± {sigma:F3} (1 sigma); {honestChecks} honest sessions checked, none flagged");
        Assert.InRange(observed, predicted - 4 * sigma, predicted + 4 * sigma);

        // The first catch through the service proposes a WrongOutput slash citing the cheater's own receipt and the
        // hash of the response an honest provider gives for the same request (an arbiter recomputes exactly that).
        var stakeBefore = (await devnet.Registry().GetProviderAsync(cheater.Payments.Options.Account)).Stake;
        var verdict = await harness.Service.CheckAsync(cheatPool[0].Receipt, CancellationToken.None);
        Assert.Equal(VerificationVerdict.Mismatch, verdict!.Verdict);
        var sameRequestHonestly = await VerifierHarness.ForwardAsync(swarm, payments, Record(honest), 1, 6, TinyModelFixture.TestShape.Hidden, seed: 20);
        Assert.Equal(Hex.Encode(sameRequestHonestly.Receipt.Receipt.OutputHash), Hex.Encode(verdict.RecomputedOutputHash!));
        var pending = await devnet.Registry().PendingSlashAsync(cheater.Payments.Options.Account);
        Assert.True(pending.Active);
        Assert.Equal(SlashFault.WrongOutput, pending.Fault);
        Assert.Equal(Hex.Encode(cheatPool[0].Receipt.Receipt.Digest(devnet.Deployment.ChainId, devnet.Deployment.Registry)), Hex.Encode(pending.ReceiptDigest));
        var after = await devnet.Registry().GetProviderAsync(cheater.Payments.Options.Account);
        Assert.True(after.Jailed);
        Assert.True(after.Stake < stakeBefore);
        Assert.False((await devnet.Registry().GetProviderAsync(honest.Payments.Options.Account)).Jailed);
        Assert.Equal(1, (await ledger.CountAsync(cheater.Payments.Options.Account.ToString(), CancellationToken.None))[VerificationVerdict.Mismatch]);
        // The evidence record behind the proposal is kept, found by the hash that went on chain.
        var proposed = (await devnet.Rpc.GetLogsAsync(devnet.Deployment.Registry, ProviderRegistry.SlashProposedEvent.Topic, 0))
            .Select(l => ProviderRegistry.SlashProposedEvent.DecodeLog(l.Topics, l.Data))
            .Single(e => (Chain.Crypto.Address)e["provider"]! == cheater.Payments.Options.Account);
        var evidence = await ledger.EvidenceAsync((byte[])proposed["evidenceHash"]!, CancellationToken.None);
        Assert.NotNull(evidence);
        Assert.Contains("\"fault\":\"WrongOutput\"", evidence);
        Assert.Contains(Hex.Encode(verdict.RecomputedOutputHash!), evidence);
    }

    [Fact]
    public async Task A_peer_announcing_a_providers_account_cannot_get_it_slashed_nor_tighten_its_tolerance()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        // The victim serves in bfloat16 and signs that mode in its receipts; the impostor announces the victim's
        // account with float32 (a 60x tighter tolerance) and holds none of the victim's payloads.
        var victim = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, [], Stake, new BlockLoadOptions { DType = TorchSharp.torch.ScalarType.BFloat16 });
        var impostor = await _swarm.StartImpostorAsync(checkpoint, victim.Payments.Options.Account, victim.Node.ListenAddresses);
        foreach (var host in new[] { victim, impostor }) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await _swarm.ConnectPayingClientAsync(await devnet.NewFundedAccountAsync(), victim.Node.ListenAddresses);
        var announced = await swarm.GetProvidersAsync("tiny", CancellationToken.None);
        Assert.Equal(2, announced.Count(p => p.Account == victim.Payments.Options.Account.ToString())); // the attack is in place
        var victimRecord = announced.Single(p => p.PeerId == victim.Node.PeerId.ToString());
        var receipts = new List<PaymentRecord>();
        for (var i = 0; i < 6; i++)
            receipts.Add(await VerifierHarness.ForwardAsync(swarm, payments, victimRecord, 1 + i % 2, 5 + 3 * i, TinyModelFixture.TestShape.Hidden, seed: 40 + i));

        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier-impostor.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger);
        var resolved = await harness.Resolver.ResolveAsync(victim.Payments.Options.Account, CancellationToken.None);
        Assert.Equal(victim.Node.PeerId.ToString(), resolved!.PeerId);
        var intake = await harness.IntakeAsync(rate: 1, capacity: 16);
        foreach (var receipt in receipts) Assert.Equal(IntakeStatus.Queued, (await intake.SubmitAsync("client", receipt.Receipt, CancellationToken.None)).Status);
        var divergences = new List<double>();
        intake.ReleaseDue();
        while (intake.Queue.TryRead(out var queued))
        {
            var outcome = (await harness.Service.CheckAsync(queued, CancellationToken.None))!;
            Assert.True(outcome.Verdict == VerificationVerdict.Honest, outcome.Detail);
            Assert.Equal(Tolerance(queued), outcome.Tolerance);
            divergences.Add(outcome.Divergence);
        }
        Assert.Equal(receipts.Count, divergences.Count);
        // Judged at the announced float32 tolerance, honest bfloat16 output would have looked like fraud.
        Assert.Contains(divergences, d => d > new VerificationTolerances().Float32);
        var victimState = await devnet.Registry().GetProviderAsync(victim.Payments.Options.Account);
        Assert.False(victimState.Jailed);
        Assert.False((await devnet.Registry().PendingSlashAsync(victim.Payments.Options.Account)).Active);
    }

    private static double Tolerance(Protocol.Payments.SignedReceipt receipt)
    {
        var mode = ServingMode.Decode(receipt.Receipt.ServingMode)!.Value;
        return new VerificationTolerances().For(mode.DType, mode.Quantization);
    }
}
