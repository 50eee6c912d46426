using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using Peerz.Client.Payments;
using Peerz.Discovery;
using Peerz.Model.Checkpoints;
using Peerz.Protocol.Payments;
using Peerz.Testing.Chain;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// Intake and the edges of a check: the sampling decision cannot be re-drawn by reporting again, junk is refused
/// before it reaches the queue and cannot evict real reports, and checks the verifier cannot or fails to complete end
/// in a recorded verdict that slashes no one.
/// </summary>
[Trait("Category", "Chain")]
public sealed class IntakeTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private readonly VerifiedSwarm _swarm = VerifiedSwarm.Create(devnet, "intake");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _swarm.DisposeAsync();

    [Fact]
    public async Task Reporting_a_receipt_60_times_never_changes_its_sampling_decision_even_across_restarts()
    {
        var (provider, swarm, payments) = await StartAsync();
        var receipts = new List<SignedReceipt>();
        for (var i = 0; i < 12; i++) receipts.Add(await PayAsync(swarm, payments, provider, seed: i));
        var path = Path.Combine(_swarm.Directory, "verifier-sampling.db");
        var ledger = await VerifierLedger.OpenAsync(path, CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger);
        const double Rate = 0.3;
        var expected = new SamplingDecision(await ledger.SamplingSecretAsync(CancellationToken.None), Rate, 0.01);
        var intake = await harness.IntakeAsync(Rate, capacity: 64);
        foreach (var receipt in receipts)
        {
            var sampled = expected.IsSampled(receipt.Receipt);
            var statuses = new List<IntakeStatus>();
            for (var report = 0; report < 60; report++) statuses.Add((await intake.SubmitAsync($"reporter-{report % 3}", receipt, CancellationToken.None)).Status);
            // Sampled: queued once, then acknowledged as a duplicate. Not sampled: never queued, however often reported.
            Assert.Equal(sampled ? [IntakeStatus.Queued, .. Enumerable.Repeat(IntakeStatus.Duplicate, 59)] : Enumerable.Repeat(IntakeStatus.NotSampled, 60), statuses);
        }
        var queued = intake.Count;
        Assert.Equal(receipts.Count(r => expected.IsSampled(r.Receipt)), queued);

        // A restarted verifier (same data) keeps its secret, so every decision stays the same.
        var reopened = await VerifierLedger.OpenAsync(path, CancellationToken.None);
        Assert.Equal(await ledger.SamplingSecretAsync(CancellationToken.None), await reopened.SamplingSecretAsync(CancellationToken.None));
        using var restarted = new VerifierHarness(devnet, model.Directory, swarm, reopened);
        var again = await restarted.IntakeAsync(Rate, capacity: 64);
        foreach (var receipt in receipts)
            for (var report = 0; report < 60; report++)
                Assert.Equal(expected.IsSampled(receipt.Receipt), (await again.SubmitAsync("reporter", receipt, CancellationToken.None)).Status is IntakeStatus.Queued or IntakeStatus.Duplicate);
    }

    [Fact]
    public async Task A_sampled_session_is_checked_once_quiet_through_its_latest_receipt_and_stays_pending_across_restarts()
    {
        var (provider, swarm, payments) = await StartAsync();
        var record = (await swarm.GetProvidersAsync("tiny", CancellationToken.None)).Single(p => p.PeerId == provider.Node.PeerId.ToString());
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var head = Model.Client.ClientHead.Load(checkpoint);
        var session = (await VerifierHarness.GenerateAsync(swarm, payments, record, head, [3, 9, 27], 6)).Select(r => r.Receipt).ToList();
        Assert.True(session.Count >= 5);
        var path = Path.Combine(_swarm.Directory, "verifier-sessions.db");
        var time = new ShiftedTime();
        var quiet = TimeSpan.FromSeconds(30);
        var ledger = await VerifierLedger.OpenAsync(path, CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger, time: time);
        var intake = await harness.IntakeAsync(rate: 1, capacity: 8, quiet: quiet);

        // Reported step by step, as clients and settlement do: one pending session, holding its latest receipt.
        foreach (var receipt in session.SkipLast(1)) Assert.Equal(IntakeStatus.Queued, (await intake.SubmitAsync("client", receipt, CancellationToken.None)).Status);
        Assert.Equal(1, intake.Count);
        Assert.Equal(IntakeStatus.Duplicate, (await intake.SubmitAsync("client", session[0], CancellationToken.None)).Status);
        Assert.Equal(0, intake.ReleaseDue()); // not quiet yet

        // A restarted verifier still holds the session; the last step arrives and restarts the quiet period.
        var reopened = await VerifierLedger.OpenAsync(path, CancellationToken.None);
        using var restarted = new VerifierHarness(devnet, model.Directory, swarm, reopened, time: time);
        var again = await restarted.IntakeAsync(rate: 1, capacity: 8, quiet: quiet);
        Assert.Equal(1, again.Count);
        Assert.Equal(IntakeStatus.Queued, (await again.SubmitAsync("client", session[^1], CancellationToken.None)).Status);
        time.Offset = quiet / 2;
        Assert.Equal(0, again.ReleaseDue());
        time.Offset = quiet + TimeSpan.FromSeconds(1);
        Assert.Equal(1, again.ReleaseDue());
        Assert.True(again.Queue.TryRead(out var queued));
        Assert.Equal(session[^1].Receipt.Step, queued.Receipt.Step);

        // One check of the latest receipt compares every step; afterwards every step of the session is covered.
        var outcome = (await restarted.Service.CheckAsync(queued, CancellationToken.None))!;
        Assert.True(outcome.Verdict == VerificationVerdict.Honest, outcome.Detail);
        Assert.Contains($"{session.Count} steps", outcome.Detail);
        await again.DequeuedAsync(queued, CancellationToken.None);
        Assert.Equal(0, again.Count);
        foreach (var receipt in session) Assert.Equal(IntakeStatus.Duplicate, (await again.SubmitAsync("client", receipt, CancellationToken.None)).Status);
        Assert.Equal(0, again.ReleaseDue());
    }

    [Fact]
    public async Task Junk_reports_are_refused_at_intake_and_cannot_evict_valid_ones_from_the_queue()
    {
        var (provider, swarm, payments) = await StartAsync();
        var valid = new List<SignedReceipt>();
        for (var i = 0; i < 4; i++) valid.Add(await PayAsync(swarm, payments, provider, seed: 100 + i));
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier-junk.db"), CancellationToken.None);
        var time = new ShiftedTime();
        time.Stop(); // the reporter's budget does not refill while the test runs
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger, time: time);
        var intake = await harness.IntakeAsync(rate: 1, capacity: 3, reportsPerMinute: 50);
        foreach (var receipt in valid.Take(3)) Assert.Equal(IntakeStatus.Queued, (await intake.SubmitAsync("client", receipt, CancellationToken.None)).Status);

        // Receipts naming the provider but signed by strangers' keys, from a flooding reporter and from many others.
        var statuses = new List<IntakeStatus>();
        for (var i = 0; i < 120; i++) statuses.Add((await intake.SubmitAsync("flooder", Forged(valid[0], i), CancellationToken.None)).Status);
        Assert.Equal(50, statuses.Count(s => s == IntakeStatus.Refused)); // each one checked and refused while the budget lasts ...
        Assert.Equal(70, statuses.Count(s => s == IntakeStatus.RateLimited)); // ... then not even looked at
        for (var i = 0; i < 60; i++) Assert.Equal(IntakeStatus.Refused, (await intake.SubmitAsync($"sybil-{i}", Forged(valid[1], 1000 + i), CancellationToken.None)).Status);
        // A receipt altered after signing (the amount) names no key of the provider either.
        Assert.Equal(IntakeStatus.Refused, (await intake.SubmitAsync("client", valid[2] with { Receipt = valid[2].Receipt with { Amount = 1 } }, CancellationToken.None)).Status);

        // The queue still holds exactly the valid reports; a full queue refuses newcomers rather than dropping them.
        Assert.Equal(IntakeStatus.QueueFull, (await intake.SubmitAsync("client", valid[3], CancellationToken.None)).Status);
        var drained = new List<SignedReceipt>();
        Assert.Equal(3, intake.ReleaseDue());
        while (intake.Queue.TryRead(out var receipt))
        {
            drained.Add(receipt);
            await intake.DequeuedAsync(receipt, CancellationToken.None);
        }
        Assert.Equal(valid.Take(3).Select(Digest).Select(Convert.ToHexString).Order(), drained.Select(Digest).Select(Convert.ToHexString).Order());
        Assert.Equal(IntakeStatus.Queued, (await intake.SubmitAsync("client", valid[3], CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Checks_that_cannot_or_fail_to_complete_end_in_a_recorded_verdict_and_slash_no_one()
    {
        var (provider, swarm, payments) = await StartAsync();
        var receipt = await PayAsync(swarm, payments, provider, seed: 7); // batch 1 × 5 positions
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier-errors.db"), CancellationToken.None);

        // Inputs beyond the verifier's recomputation bound: not checkable.
        using (var bounded = new VerifierHarness(devnet, model.Directory, swarm, ledger, maxRecomputeTokens: 4))
        {
            var outcome = (await bounded.Service.CheckAsync(receipt, CancellationToken.None))!;
            Assert.Equal(VerificationVerdict.NotCheckable, outcome.Verdict);
            Assert.Contains("bound", outcome.Detail);
        }

        // The verifier's own failure (its chain endpoint is down): an Error verdict, recorded, and nothing proposed.
        var otherLedger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier-errors-2.db"), CancellationToken.None);
        var deadRegistry = new ProviderRegistry(new EthRpcClient(new HttpClient(), new Uri($"http://127.0.0.1:{HardhatNode.FreePort()}")), devnet.Deployment.Registry,
            devnet.Sender(devnet.Deployer));
        using (var broken = new VerifierHarness(devnet, model.Directory, swarm, otherLedger, registry: deadRegistry))
        {
            var outcome = (await broken.Service.CheckAsync(receipt, CancellationToken.None))!;
            Assert.Equal(VerificationVerdict.Error, outcome.Verdict);
            Assert.Equal([VerificationVerdict.Error], await otherLedger.HistoryAsync(Digest(receipt), CancellationToken.None));
            Assert.Null(await broken.Service.CheckAsync(receipt, CancellationToken.None)); // judged once
        }
        Assert.Equal([VerificationVerdict.NotCheckable], await ledger.HistoryAsync(Digest(receipt), CancellationToken.None));
        Assert.False((await devnet.Registry().PendingSlashAsync(provider.Payments.Options.Account)).Active);
        Assert.False((await devnet.Registry().GetProviderAsync(provider.Payments.Options.Account)).Jailed);
    }

    private SignedReceipt Forged(SignedReceipt template, int i)
    {
        var receipt = template.Receipt with { Step = (ulong)i, Tokens = (uint)(1 + i) };
        return SignedReceipt.Sign(receipt, EthKey.Generate(), devnet.Deployment.ChainId, devnet.Deployment.Registry);
    }

    private byte[] Digest(SignedReceipt receipt) => receipt.Receipt.Digest(devnet.Deployment.ChainId, devnet.Deployment.Registry);

    [Fact]
    public async Task A_reporter_that_gives_up_does_not_cancel_the_provider_lookup_later_reports_reuse()
    {
        var (provider, swarm, _) = await StartAsync();
        // A DHT listing slower than the first caller waits, as on a loaded machine.
        var slow = new SlowDirectory(swarm, TimeSpan.FromSeconds(2));
        var resolver = new Verifier.Providers.ProviderResolver(devnet.Registry(), slow, swarm, "tiny", TimeSpan.FromMinutes(1), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Verifier.Providers.ProviderResolver>.Instance);
        var account = provider.Payments.Options.Account;

        using (var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolver.ResolveAsync(account, impatient.Token));
        var resolved = await resolver.ResolveAsync(account, CancellationToken.None);

        // The lookup the first caller started went on and served the second: one listing, the provider's addresses in it.
        Assert.Equal(provider.Node.PeerId.ToString(), resolved!.PeerId);
        Assert.NotEmpty(resolved.Record.Addresses);
        Assert.Equal(1, slow.Listings);
    }

    private sealed class SlowDirectory(IProviderDirectory inner, TimeSpan delay) : IProviderDirectory
    {
        private int _listings;

        public int Listings => _listings;

        public async Task<IReadOnlyList<ProviderRecord>> GetProvidersAsync(string modelId, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _listings);
            await Task.Delay(delay, cancellationToken);
            return await inner.GetProvidersAsync(modelId, cancellationToken);
        }
    }

    private async Task<(Payments.PaidProviderHost Provider, SwarmClient Swarm, ClientPayments Payments)> StartAsync()
    {
        var checkpoint = Checkpoint.Open(model.Directory);
        var provider = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, [], Stake);
        checkpoint.Dispose(); // the provider holds its blocks
        await provider.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await _swarm.ConnectPayingClientAsync(await devnet.NewFundedAccountAsync(), provider.Node.ListenAddresses);
        return (provider, swarm, payments);
    }

    private static async Task<SignedReceipt> PayAsync(SwarmClient swarm, ClientPayments payments, Payments.PaidProviderHost host, int seed)
    {
        var record = (await swarm.GetProvidersAsync("tiny", CancellationToken.None)).Single(p => p.PeerId == host.Node.PeerId.ToString());
        return (await VerifierHarness.ForwardAsync(swarm, payments, record, 1, 5, TinyModelFixture.TestShape.Hidden, seed)).Receipt;
    }
}
