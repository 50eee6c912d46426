using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Client.Payments;
using Peerz.Discovery;
using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Tiny;
using Peerz.Node.Protocols;
using Peerz.Node.Serving;
using Peerz.Protocol.Wire;
using Peerz.Testing;
using Peerz.Testing.Chain;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// The verifier against paid providers of every supported architecture (issue 17: "the verifier recomputes and accepts
/// honest providers of that architecture and flags tampered outputs"): for a generated checkpoint of the test shape in
/// each model type, every receipt of an honest provider (a greedy generation's steps, forward and backward requests) is judged
/// Honest through the real payload fetch and recomputation (a backward request with a LoRA adapter on every projection too), and a provider signing wrong outputs
/// (<see cref="WrongOutputFault"/>) is judged Mismatch and slashed. The provider's /peerz/info announces its span's weight
/// bytes. A new architecture is one more InlineData.
/// </summary>
[Trait("Category", "Chain")]
public sealed class ArchitectureVerificationTests(PeerzDevnet devnet, ITestOutputHelper output) : IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private readonly VerifiedSwarm _swarm = VerifiedSwarm.Create(devnet, "verify-architecture");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _swarm.DisposeAsync();

    [Theory]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("qwen2")]
    [InlineData("mixtral")]
    [InlineData("bloom")]
    [InlineData("falcon")]
    [InlineData("falcon", 1)]
    public async Task Honest_providers_are_accepted_and_wrong_outputs_are_flagged(string modelType, int kvHeads = 2)
    {
        var directory = Path.Combine(_swarm.Directory, modelType);
        // Falcon: 2 key/value heads write the new decoder architecture (Falcon-40B/180B), 1 Falcon-7B's multi-query layout.
        var shape = TinyModelFixture.TestShape with { ModelType = modelType, KvHeads = kvHeads };
        TinyModelGenerator.Write(directory, shape);
        using var checkpoint = Checkpoint.Open(directory);
        Assert.Equal(modelType, checkpoint.Config.ModelType);
        var honest = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, [], Stake);
        var cheater = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, honest.Node.ListenAddresses, Stake,
            fault: new WrongOutputFault(1, new Random(1)));
        foreach (var host in new[] { honest, cheater }) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await _swarm.ConnectPayingClientAsync(await devnet.NewFundedAccountAsync(), honest.Node.ListenAddresses);
        var providers = await swarm.GetProvidersAsync("tiny", CancellationToken.None);
        ProviderRecord Record(Payments.PaidProviderHost host) => providers.Single(p => p.Account == host.Payments.Options.Account.ToString());
        using var head = ClientHead.Load(checkpoint);

        // The provider announces the memory its span's weights take, every expert of a mixture of experts included
        // (MixtralTests counts WeightBytes against the checkpoint's tensors).
        var info = await Payments.ProviderCalls.CallAsync(swarm, honest, PeerzProtocolIds.Info, new InfoRequest(), ServerInfo.Parser);
        using (var span = BlockSpan.Load(checkpoint, 0, shape.Layers))
            Assert.Equal((ulong)span.WeightBytes, info.WeightBytes);

        // Per provider: a greedy generation (its last receipt covers every step), forward requests of two batch shapes and
        // backward requests without and with a LoRA adapter on every projection the blocks have (each expert's, for Mixtral).
        using var adapter = LoraTestAdapters.Trained(checkpoint.Config, LoraModules.AllFor(checkpoint.Config), seed: 4);
        async Task<List<PaymentRecord>> PayForWorkAsync(Payments.PaidProviderHost host)
        {
            var receipts = new List<PaymentRecord> { (await VerifierHarness.GenerateAsync(swarm, payments, Record(host), head, [3, 9, 27, 81], 8))[^1] };
            for (var i = 0; i < 2; i++)
                receipts.Add(await VerifierHarness.ForwardAsync(swarm, payments, Record(host), 1 + i, 5 + 7 * i, shape.Hidden, seed: i));
            receipts.Add(await VerifierHarness.BackwardAsync(swarm, payments, Record(host), 2, 6, shape.Hidden, seed: 2));
            receipts.Add(await VerifierHarness.BackwardAsync(swarm, payments, Record(host), 2, 6, shape.Hidden, seed: 3, adapter: adapter));
            return receipts;
        }
        var honestReceipts = await PayForWorkAsync(honest);
        var cheaterReceipts = await PayForWorkAsync(cheater);

        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, directory, swarm, ledger);
        var divergences = new List<double>();
        foreach (var receipt in honestReceipts)
        {
            var outcome = (await harness.Service.CheckAsync(receipt.Receipt, CancellationToken.None))!;
            Assert.True(outcome.Verdict == VerificationVerdict.Honest, $"{modelType}: {outcome.Detail}");
            // A mixture-of-experts provider signs its expert choices with every output, and the verifier replays them.
            if (checkpoint.Config.IsMixtureOfExperts) Assert.Contains("replayed with the provider's signed expert choices", outcome.Detail);
            divergences.Add(outcome.Divergence);
        }
        foreach (var receipt in cheaterReceipts)
        {
            var outcome = (await harness.Service.CheckAsync(receipt.Receipt, CancellationToken.None))!;
            Assert.True(outcome.Verdict == VerificationVerdict.Mismatch, $"{modelType}: a wrong output was judged {outcome.Verdict} ({outcome.Detail})");
        }
        output.WriteLine($"{modelType}: {honestReceipts.Count} honest receipts, divergence max {divergences.Max():E2}; {cheaterReceipts.Count} wrong ones flagged");

        Assert.False((await devnet.Registry().GetProviderAsync(honest.Payments.Options.Account)).Jailed);
        Assert.True((await devnet.Registry().GetProviderAsync(cheater.Payments.Options.Account)).Jailed);
        var pending = await devnet.Registry().PendingSlashAsync(cheater.Payments.Options.Account);
        Assert.True(pending.Active);
        Assert.Equal(SlashFault.WrongOutput, pending.Fault);
    }
}
