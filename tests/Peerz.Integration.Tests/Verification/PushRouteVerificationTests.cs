using System.Numerics;
using Microsoft.Extensions.Logging;
using Peerz.Client;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Testing.Chain;
using Peerz.Testing.Logging;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// Server-to-server push with payments on Hardhat's node: every hop is paid and signs a receipt for exactly what it
/// computed on, whether its input was pushed or carried by the client, and the verifier finds every receipt honest.
/// </summary>
[Trait("Category", "Chain")]
public sealed class PushRouteVerificationTests(TinyModelFixture model, PeerzDevnet devnet, ITestOutputHelper output) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    private static readonly int[] Prompt = [1, 17, 42, 99];
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private readonly VerifiedSwarm _swarm = VerifiedSwarm.Create(devnet, "push-verify", TestOutputLogs.Factory(output));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _swarm.DisposeAsync();

    [Fact]
    public async Task A_push_route_pays_every_hop_for_its_tokens_and_every_receipt_verifies()
    {
        var options = new GenerationOptions { MaxNewTokens = 12 };
        using var local = LocalModel.Load(model.Directory);
        var expected = await local.CreateGenerator().GenerateAsync(Prompt, options).ToListAsync();

        using var checkpoint = Checkpoint.Open(model.Directory);
        var spans = new[] { (0, 1), (1, 3), (3, 4) };
        var hosts = new List<Payments.PaidProviderHost>();
        for (var i = 0; i < spans.Length; i++)
            hosts.Add(await _swarm.Clients.StartProviderAsync(checkpoint, spans[i].Item1, spans[i].Item2, HardhatNode.Accounts[1 + i], Price,
                hosts.Count == 0 ? [] : hosts[0].Node.ListenAddresses, Stake));
        foreach (var host in hosts) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await _swarm.ConnectPayingClientAsync(HardhatNode.Accounts[4], hosts[0].Node.ListenAddresses);
        var receipts = new List<PaymentRecord>();
        payments.Paid += receipts.Add;

        var pipeline = new DistributedBlockPipeline(new SpanRequest("tiny", 0, 4), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(1)),
            new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, new Logger<DistributedBlockPipeline>(TestOutputLogs.Factory(output)), payments: payments, push: new PushRouting());
        Assert.Equal(expected, await new TextGenerator(local.Head, pipeline).GenerateAsync(Prompt, options).ToListAsync());

        // The second and third hops took their inputs by push, and each hop was paid tokens × its blocks × price.
        Assert.Equal(options.MaxNewTokens, hosts[1].Node.Push.Accepted);
        Assert.Equal(options.MaxNewTokens, hosts[2].Node.Push.Accepted);
        var positions = Prompt.Length + options.MaxNewTokens - 1;
        for (var i = 0; i < spans.Length; i++)
        {
            var paid = receipts.Where(r => r.Provider.Account == hosts[i].Payments.Options.Account).ToList();
            Assert.Equal(options.MaxNewTokens, paid.Count);
            Assert.Equal(positions * (spans[i].Item2 - spans[i].Item1) * Price, paid.Aggregate(BigInteger.Zero, (sum, r) => sum + r.Cost));
        }

        // The verifier fetches each hop's payloads and recomputes them: the same checks as for a hop-by-hop route.
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger);
        foreach (var receipt in receipts)
        {
            var outcome = (await harness.Service.CheckAsync(receipt.Receipt, CancellationToken.None))!;
            Assert.True(outcome.Verdict == VerificationVerdict.Honest, outcome.Detail);
        }
    }
}
