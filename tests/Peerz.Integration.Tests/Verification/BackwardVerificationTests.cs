using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Primitives;
using Peerz.Client.Payments;
using Peerz.Discovery;
using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Node.Serving;
using Peerz.Protocol.Payments;
using Peerz.Testing.Chain;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// Backward receipts of prompt tuning and LoRA against real paid providers on Hardhat's node: every gradient the client
/// receives (input, deep prompts, each LoRA A and B) is covered by the provider's signed output hash and compared by the
/// verifier. Honest providers in float32, bfloat16, int8 and nf4 are judged Honest; a provider that answers the input
/// gradient right but poisons the prompt and adapter gradients (<see cref="WrongOutputFault"/>) — which a check of the
/// input gradient alone passed — is judged Mismatch and slashed, citing the hash of the answer an honest provider gives.
/// </summary>
[Trait("Category", "Chain")]
public sealed class BackwardVerificationTests(TinyModelFixture model, PeerzDevnet devnet, ITestOutputHelper output)
    : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private static readonly string[] Modules = ["q_proj", "v_proj", "down_proj"];
    private readonly VerifiedSwarm _swarm = VerifiedSwarm.Create(devnet, "verify-backward");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _swarm.DisposeAsync();

    [Fact]
    public async Task Honest_prompt_tuning_and_lora_backward_answers_are_never_flagged_in_any_mode()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var modes = new (string Name, BlockLoadOptions Load)[]
        {
            ("float32", new BlockLoadOptions()),
            ("bfloat16", new BlockLoadOptions { DType = ScalarType.BFloat16 }),
            ("int8", new BlockLoadOptions { Quantization = WeightQuantization.Int8 }),
            ("nf4", new BlockLoadOptions { Quantization = WeightQuantization.Nf4 }),
        };
        var hosts = new List<Payments.PaidProviderHost>();
        foreach (var (_, load) in modes)
            hosts.Add(await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, hosts.Count == 0 ? [] : hosts[0].Node.ListenAddresses, Stake, load));
        foreach (var host in hosts) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await _swarm.ConnectPayingClientAsync(await devnet.NewFundedAccountAsync(), hosts[0].Node.ListenAddresses);
        var providers = await swarm.GetProvidersAsync("tiny", CancellationToken.None);
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger);

        for (var m = 0; m < modes.Length; m++)
        {
            var provider = providers.Single(p => p.Account == hosts[m].Payments.Options.Account.ToString());
            var receipts = await PayForTrainingAsync(swarm, payments, provider, checkpoint, seed: 10 * m);
            var divergences = new List<double>();
            foreach (var receipt in receipts)
            {
                var outcome = (await harness.Service.CheckAsync(receipt.Receipt, CancellationToken.None))!;
                Assert.True(outcome.Verdict == VerificationVerdict.Honest, $"{modes[m].Name}: {outcome.Detail}");
                Assert.Equal(Tolerance(receipt.Receipt), outcome.Tolerance);
                divergences.Add(outcome.Divergence);
            }
            output.WriteLine($"{modes[m].Name}: {receipts.Count} backward receipts (prompts, fresh and trained LoRA), worst gradient divergence {divergences.Max():G3}, gradient tolerance {Tolerance(receipts[0].Receipt):G3}");
        }
        foreach (var host in hosts) Assert.False((await devnet.Registry().GetProviderAsync(host.Payments.Options.Account)).Jailed);
    }

    [Fact]
    public async Task A_provider_poisoning_prompt_and_adapter_gradients_behind_a_right_input_gradient_is_slashed()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var honest = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, [], Stake);
        var cheater = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, honest.Node.ListenAddresses, Stake,
            fault: new WrongOutputFault(1, new Random(1)));
        foreach (var host in new[] { honest, cheater }) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await _swarm.ConnectPayingClientAsync(await devnet.NewFundedAccountAsync(), honest.Node.ListenAddresses);
        var providers = await swarm.GetProvidersAsync("tiny", CancellationToken.None);
        ProviderRecord Record(Payments.PaidProviderHost host) => providers.Single(p => p.Account == host.Payments.Options.Account.ToString());
        // The client accepts and pays for the poisoned answers: it cannot tell them from honest ones.
        var poisoned = await PayForTrainingAsync(swarm, payments, Record(cheater), checkpoint, seed: 1);
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger);
        var registered = await harness.Resolver.ResolveAsync(cheater.Payments.Options.Account, CancellationToken.None);

        foreach (var receipt in poisoned)
        {
            var outcome = await harness.Verifier.VerifyAsync(registered, receipt.Receipt, CancellationToken.None);
            output.WriteLine($"{outcome.Verdict}: {outcome.Detail}");
            Assert.Equal(VerificationVerdict.Mismatch, outcome.Verdict);
            Assert.Matches("prompt gradient|LoRA gradient", outcome.Detail);
        }

        // Through the service: a WrongOutput slash citing the cheater's receipt and the hash of the answer an honest
        // float32 provider gives for the same request (prompts and a trained adapter).
        var cited = poisoned[^1];
        var stakeBefore = (await devnet.Registry().GetProviderAsync(cheater.Payments.Options.Account)).Stake;
        var verdict = (await harness.Service.CheckAsync(cited.Receipt, CancellationToken.None))!;
        Assert.Equal(VerificationVerdict.Mismatch, verdict.Verdict);
        var sameRequestHonestly = (await PayForTrainingAsync(swarm, payments, Record(honest), checkpoint, seed: 1))[^1];
        Assert.Equal(Hex.Encode(sameRequestHonestly.Receipt.Receipt.OutputHash), Hex.Encode(verdict.RecomputedOutputHash!));
        var pending = await devnet.Registry().PendingSlashAsync(cheater.Payments.Options.Account);
        Assert.True(pending.Active);
        Assert.Equal(SlashFault.WrongOutput, pending.Fault);
        Assert.Equal(Hex.Encode(cited.Receipt.Receipt.Digest(devnet.Deployment.ChainId, devnet.Deployment.Registry)), Hex.Encode(pending.ReceiptDigest));
        var after = await devnet.Registry().GetProviderAsync(cheater.Payments.Options.Account);
        Assert.True(after.Jailed);
        Assert.True(after.Stake < stakeBefore);
        Assert.False((await devnet.Registry().GetProviderAsync(honest.Payments.Options.Account)).Jailed);
    }

    /// <summary>
    /// Paid backward requests through the provider's whole span: deep prompts alone, a fresh adapter (B = 0, so A's
    /// gradient is exactly zero), and deep prompts with a trained adapter (last); deterministic for <paramref name="seed"/>.
    /// </summary>
    private static async Task<List<PaymentRecord>> PayForTrainingAsync(SwarmClient swarm, ClientPayments payments, ProviderRecord provider, Checkpoint checkpoint, int seed)
    {
        var (config, hidden) = (checkpoint.Config, checkpoint.Config.HiddenSize);
        var blocks = provider.End - provider.Start;
        using var prompts = randn([blocks, 3, hidden], generator: new Generator((ulong)seed + 1));
        using var fresh = LoraAdapter.Create(config, provider.Start, provider.End, Modules, rank: 4, alpha: 8, seed: seed + 2);
        using var trained = Testing.LoraTestAdapters.Trained(config, Modules, seed + 3);
        return
        [
            await VerifierHarness.BackwardAsync(swarm, payments, provider, 2, 6, hidden, seed, prompts: prompts),
            await VerifierHarness.BackwardAsync(swarm, payments, provider, 1, 9, hidden, seed + 4, adapter: fresh),
            await VerifierHarness.BackwardAsync(swarm, payments, provider, 2, 7, hidden, seed + 5, prompts: prompts, adapter: trained),
        ];
    }

    private static double Tolerance(SignedReceipt receipt)
    {
        var mode = ServingMode.Decode(receipt.Receipt.ServingMode)!.Value;
        return new VerificationTolerances().GradientsFor(mode.DType, mode.Quantization);
    }
}
