using System.Numerics;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Discovery;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Tiny;
using Peerz.Protocol.Payments;
using Peerz.Settlement.Http;
using Peerz.Testing.Chain;
using Peerz.Verifier.Probing;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// Probes look like customers: they pay from fresh keys the verifier funds (never its own address), rotate keys,
/// route like clients, take their kind and size from reported traffic (inference sessions and forward requests),
/// and a provider cheating on them is caught.
/// </summary>
[Trait("Category", "Chain")]
public sealed class ProbeTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private readonly VerifiedSwarm _swarm = VerifiedSwarm.Create(devnet, "probes");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _swarm.DisposeAsync();

    [Fact]
    public async Task Probes_pay_from_fresh_rotating_keys_in_the_shapes_of_real_traffic_and_catch_a_provider_cheating_on_them()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var cheaterDirectory = Path.Combine(_swarm.Directory, "cheater-model");
        TinyModelGenerator.Write(cheaterDirectory, TinyModelFixture.TestShape with { Seed = TinyModelFixture.TestShape.Seed + 1 });
        using var cheaterCheckpoint = Checkpoint.Open(cheaterDirectory);
        var honest = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, [], Stake);
        var cheater = await _swarm.StartProviderAsync(cheaterCheckpoint, await devnet.NewFundedAccountAsync(), Price, honest.Node.ListenAddresses, Stake);
        foreach (var host in new[] { honest, cheater }) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, _) = await _swarm.Clients.ConnectClientAsync(devnet.Deployer, honest.Node.ListenAddresses);
        var providers = await swarm.GetProvidersAsync("tiny", CancellationToken.None);
        ProviderRecord Record(Payments.PaidProviderHost host) => providers.Single(p => p.PeerId == host.Node.PeerId.ToString());

        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger);
        using var head = ClientHead.Load(checkpoint);
        var wallets = new ProbeWallets(devnet.Rpc, devnet.Deployment, devnet.Sender(devnet.Deployer), ProbeFunding.Default with { ProbesPerKey = 2 },
            Path.Combine(_swarm.Directory, "probes"), TimeProvider.System, NullLoggerFactory.Instance);
        // Reported traffic: an inference session that reached step 3 with a 6-token prompt, and forward requests of 7 tokens.
        var sessions = new TrafficShapes();
        sessions.Observe(Reported(WorkKind.Inference, tokens: 6, step: 3));
        var forwards = new TrafficShapes();
        forwards.Observe(Reported(WorkKind.Forward, tokens: 7, step: 0));
        // Settlement's receipt intake as a real HTTP endpoint: a probe is paid work, reported like any client's.
        await using var settlement = await ReceiptSink.StartAsync();
        using var http = new HttpClient();
        Prober Probe(Payments.PaidProviderHost host, TrafficShapes traffic) =>
            new(new OnlyProvider(Record(host)), swarm, wallets, traffic, head, harness.Service, "tiny", new Random(5), NullLoggerFactory.Instance,
                [new SettlementClient(http, settlement.Url)]);

        var results = new List<ProbeResult>
        {
            await Probe(honest, sessions).ProbeOnceAsync(CancellationToken.None),
            await Probe(honest, forwards).ProbeOnceAsync(CancellationToken.None),
            await Probe(cheater, forwards).ProbeOnceAsync(CancellationToken.None),
        };
        var checks = results.Select(r => Assert.Single(r.Checks)).ToList();

        // Shapes: a session of 6 prompt tokens and 3 decode steps (its last receipt covers all of them), then forward requests of 7 tokens.
        Assert.Equal(WorkKind.Inference, checks[0].Receipt.Kind);
        Assert.Equal(3UL, checks[0].Receipt.Receipt.Step);
        Assert.All(checks.Skip(1), c => Assert.Equal((WorkKind.Forward, 7u), (c.Receipt.Kind, c.Receipt.Receipt.Tokens)));
        // Payers: fresh funded keys, rotated after two probes, never the verifier's own address.
        var payers = checks.Select(c => c.Receipt.Receipt.Client).ToList();
        Assert.DoesNotContain(devnet.Deployer.Address, payers);
        Assert.Equal(payers[0], payers[1]);
        Assert.NotEqual(payers[1], payers[2]);
        Assert.Equal(wallets.Used, payers.Distinct());
        Assert.True((await devnet.Escrow().LaneAsync(payers[0], honest.Payments.Options.Account)).Amount > 0); // paid from its own lane

        // Every checked receipt reached settlement first (the verifier's later report on it needs settlement to know it),
        // and nothing else was reported: all reports are receipts paid by the probe keys.
        var reported = settlement.Reports;
        Assert.All(checks, c => Assert.Contains(reported, r => r.SessionId == Hex.Encode(c.Receipt.Receipt.SessionId) && r.Step == c.Receipt.Receipt.Step));
        Assert.All(reported, r => Assert.Contains(payers, p => string.Equals(p.ToString(), r.Client, StringComparison.OrdinalIgnoreCase)));
        Assert.True(reported.Count >= checks.Count);

        // Honest answers pass; the cheater's is caught and a slash proposed.
        Assert.Equal([VerificationVerdict.Honest, VerificationVerdict.Honest, VerificationVerdict.Mismatch], checks.Select(c => c.Outcome!.Verdict));
        Assert.True((await devnet.Registry().PendingSlashAsync(cheater.Payments.Options.Account)).Active);
        Assert.False((await devnet.Registry().PendingSlashAsync(honest.Payments.Options.Account)).Active);
    }

    private SignedReceipt Reported(WorkKind kind, uint tokens, ulong step) =>
        SignedReceipt.Sign(new WorkReceipt(Address.Zero, Address.Zero, WorkIds.NewSession(kind), step, WorkIds.Model("tiny"), 0, 4, new byte[32], new byte[32], tokens, 0, 0, 0),
            EthKey.Generate(), devnet.Deployment.ChainId, devnet.Deployment.Registry);
}
