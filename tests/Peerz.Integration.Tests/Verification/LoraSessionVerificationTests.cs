using System.Numerics;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Client.Training;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Testing.Chain;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// A paid session tuned with a LoRA adapter or deep prompts on a push route of three providers on Hardhat's node: the
/// client accepts every receipt (step 0's signed input carries the hop's adapter or prompts, hashed alike by client and
/// provider), the tokens are those of the tuned model in one process, and the verifier, fetching the payloads and
/// replaying each session with its tuning, finds every honest receipt honest.
/// </summary>
[Trait("Category", "Chain")]
public sealed class LoraSessionVerificationTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    private static readonly int[] Prompt = [1, 17, 42, 99];
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 8 };
    private static readonly (int Start, int End)[] Spans = [(0, 1), (1, 3), (3, 4)];
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private readonly VerifiedSwarm _swarm = VerifiedSwarm.Create(devnet, "lora-session-verify");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _swarm.DisposeAsync();

    [Theory]
    [InlineData("adapter")]
    [InlineData("deep prompts")]
    public async Task A_paid_tuned_session_generates_the_local_tokens_and_every_receipt_verifies_honest(string tuning)
    {
        using var local = LocalModel.Load(model.Directory);
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var adapter = LoraTestAdapters.Trained(checkpoint.Config, ["q_proj", "v_proj", "down_proj"], seed: 5);
        using var prompts = SoftPrompts.Create(checkpoint.Config, prefixLength: 3, deep: true, seed: 5, std: 1.0);
        using (TorchSharp.torch.no_grad())
            prompts.Deep!.copy_(TorchSharp.torch.randn(prompts.Deep.shape, generator: new TorchSharp.torch.Generator(6)));
        IBlockPipeline Tuned(IAdaptableBlockPipeline pipeline) => tuning == "adapter" ? new AdaptedPipeline(pipeline, adapter) : new PromptedPipeline(pipeline, prompts);
        var expected = await new TextGenerator(local.Head, Tuned(local.Pipeline)).GenerateAsync(Prompt, Greedy).ToListAsync();
        var plain = await local.CreateGenerator().GenerateAsync(Prompt, Greedy).ToListAsync();
        Assert.NotEqual(plain, expected);

        var hosts = new List<Payments.PaidProviderHost>();
        foreach (var (start, end) in Spans)
            hosts.Add(await _swarm.Clients.StartProviderAsync(checkpoint, start, end, await devnet.NewFundedAccountAsync(), Price, hosts.Count == 0 ? [] : hosts[0].Node.ListenAddresses, Stake));
        foreach (var host in hosts) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await _swarm.ConnectPayingClientAsync(await devnet.NewFundedAccountAsync(), hosts[0].Node.ListenAddresses);
        var receipts = new List<PaymentRecord>();
        payments.Paid += receipts.Add;
        var pipeline = new DistributedBlockPipeline(new SpanRequest("tiny", 0, 4), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(1)),
            new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, NullLogger<DistributedBlockPipeline>.Instance, payments: payments, push: new PushRouting());
        var tokens = await new TextGenerator(local.Head, Tuned(pipeline)).GenerateAsync(Prompt, Greedy).ToListAsync();

        Assert.Equal(expected, tokens);
        Assert.Equal(Spans.Length * Greedy.MaxNewTokens, receipts.Count);
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger);
        // The last receipt of each session covers all its steps (a check of step k replays steps 0..k).
        foreach (var receipt in receipts)
        {
            var outcome = await harness.Service.CheckAsync(receipt.Receipt, CancellationToken.None);
            Assert.True(outcome!.Verdict == VerificationVerdict.Honest, $"{outcome.Verdict}: {outcome.Detail}");
        }
    }
}
