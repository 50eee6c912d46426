using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Client.Payments;
using Peerz.Discovery;
using Peerz.Model.Checkpoints;
using Peerz.Testing.Chain;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// A payload that cannot be fetched is not fraud by itself: it leads to an Unavailable challenge only after N failed
/// fetches spread over time, the challenge is withdrawn when the payload turns up and checks honest, and receipts
/// older than the provider's retention window are not checkable at all.
/// </summary>
[Trait("Category", "Chain")]
public sealed class UnavailabilityTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private static readonly UnavailabilityPolicy Policy = new(3, TimeSpan.FromMinutes(10), TimeSpan.FromDays(1));
    private readonly VerifiedSwarm _swarm = VerifiedSwarm.Create(devnet, "unavailable");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _swarm.DisposeAsync();

    [Fact]
    public async Task A_lost_payload_is_challenged_only_after_three_spaced_failures_and_a_payload_that_turns_up_withdraws_the_challenge()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var lost = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, [], Stake);
        var offline = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, lost.Node.ListenAddresses, Stake);
        foreach (var host in new[] { lost, offline }) await host.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await ClientAsync(lost);
        var lostReceipt = await PayAsync(swarm, payments, lost, seed: 1);
        var offlineReceipt = await PayAsync(swarm, payments, offline, seed: 2);
        await lost.Payments.Ledger.PruneStepsAsync(DateTimeOffset.MaxValue, CancellationToken.None); // its payloads are gone for good

        var time = new ShiftedTime();
        var gate = new GatedConnector(swarm);
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger, Policy, time, gate);
        gate.Blocked.Add(offline.Node.PeerId.ToString()); // unreachable for a while

        foreach (var receipt in new[] { lostReceipt, offlineReceipt })
            Assert.Equal(VerificationVerdict.MissingPayload, (await harness.Service.CheckAsync(receipt, CancellationToken.None))!.Verdict);
        // A second failure right away does not count: failures must be spread over time.
        Assert.Equal(VerificationVerdict.MissingPayload, (await harness.Service.CheckAsync(lostReceipt, CancellationToken.None))!.Verdict);
        Assert.Equal(1, (await ledger.StateAsync(Digest(lostReceipt), CancellationToken.None))!.Failures);
        Assert.Equal(0, await harness.Service.RetryDueAsync(CancellationToken.None)); // nothing is due before the spacing
        await AssertNotChallengedAsync(lost);

        time.Offset += Policy.Spacing + TimeSpan.FromSeconds(1);
        Assert.Equal(2, await harness.Service.RetryDueAsync(CancellationToken.None));
        await AssertNotChallengedAsync(lost);
        await AssertNotChallengedAsync(offline);

        time.Offset += Policy.Spacing + TimeSpan.FromSeconds(1);
        Assert.Equal(2, await harness.Service.RetryDueAsync(CancellationToken.None));
        foreach (var host in new[] { lost, offline })
        {
            var pending = await devnet.Registry().PendingSlashAsync(host.Payments.Options.Account);
            Assert.True(pending.Active);
            Assert.Equal(SlashFault.Unavailable, pending.Fault);
            Assert.True((await devnet.Registry().GetProviderAsync(host.Payments.Options.Account)).Jailed);
        }

        // The offline provider comes back with its payload: the next retry checks it honest and withdraws the challenge.
        gate.Blocked.Clear();
        var stakeWhileHeld = (await devnet.Registry().GetProviderAsync(offline.Payments.Options.Account)).Stake;
        time.Offset += Policy.Spacing + TimeSpan.FromSeconds(1);
        Assert.Equal(2, await harness.Service.RetryDueAsync(CancellationToken.None));
        Assert.Equal(VerificationVerdict.Honest, (await ledger.StateAsync(Digest(offlineReceipt), CancellationToken.None))!.Verdict);
        await AssertNotChallengedAsync(offline);
        Assert.True((await devnet.Registry().GetProviderAsync(offline.Payments.Options.Account)).Stake > stakeWhileHeld);
        Assert.True((await devnet.Registry().PendingSlashAsync(lost.Payments.Options.Account)).Active); // the lost one stays challenged
        Assert.Equal(
            [VerificationVerdict.MissingPayload, VerificationVerdict.MissingPayload, VerificationVerdict.MissingPayload, VerificationVerdict.Honest],
            await ledger.HistoryAsync(Digest(offlineReceipt), CancellationToken.None));
    }

    [Fact]
    public async Task Receipts_older_than_the_providers_announced_retention_are_refused_at_intake_and_never_challenged()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var provider = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, [], Stake, retention: TimeSpan.FromMinutes(30));
        await provider.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await ClientAsync(provider);
        var receipt = await PayAsync(swarm, payments, provider, seed: 3);
        var time = new ShiftedTime();
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier-retention.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger, Policy, time);
        Assert.Equal(TimeSpan.FromMinutes(30), (await harness.Resolver.ResolveAsync(provider.Payments.Options.Account, CancellationToken.None))!.Retention);

        time.Offset = TimeSpan.FromMinutes(45); // within the default hour, past this provider's 30 minutes
        var intake = await harness.IntakeAsync(rate: 1, capacity: 4);
        var refused = await intake.SubmitAsync("client", receipt, CancellationToken.None);
        Assert.Equal(IntakeStatus.Refused, refused.Status);
        Assert.Contains("retention", refused.Detail);
        Assert.Equal(VerificationVerdict.NotCheckable, (await harness.Service.CheckAsync(receipt, CancellationToken.None))!.Verdict);
        await AssertNotChallengedAsync(provider);

        time.Offset = TimeSpan.FromMinutes(10);
        var fresh = await PayAsync(swarm, payments, provider, seed: 4);
        Assert.Equal(IntakeStatus.Queued, (await intake.SubmitAsync("client", fresh, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task A_session_larger_than_one_payload_answer_is_fetched_in_chunks_and_checks_honest()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        // Each answer holds at most ~4 KiB of step bytes: a 12-step session takes several requests (from_step, more).
        var provider = await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, [], Stake, payloadAnswerBytes: 4096);
        await provider.Node.AnnounceAsync(CancellationToken.None);
        var (swarm, payments) = await ClientAsync(provider);
        var record = (await swarm.GetProvidersAsync("tiny", CancellationToken.None)).Single();
        var receipts = new List<PaymentRecord>();
        payments.Paid += receipts.Add;
        var pipeline = new Client.DistributedBlockPipeline(new Client.Remote.SpanRequest("tiny", 0, 4), new OnlyProvider(record), swarm,
            new Client.Routing.RoutePlanner(swarm.RoundTrip, new Random(1)), new Client.Remote.RemoteCallOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger<Client.DistributedBlockPipeline>.Instance,
            payments: payments);
        using var head = Model.Client.ClientHead.Load(checkpoint);
        await new Model.Generation.TextGenerator(head, pipeline).GenerateAsync([5, 6, 7, 8], new Model.Generation.GenerationOptions { MaxNewTokens = 11 }).ToListAsync();
        payments.Paid -= receipts.Add;
        var last = receipts.MaxBy(r => r.Receipt.Receipt.Step)!.Receipt;
        Assert.True(last.Receipt.Step >= 10);

        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier-chunks.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, swarm, ledger, Policy);
        var outcome = (await harness.Service.CheckAsync(last, CancellationToken.None))!;
        Assert.True(outcome.Verdict == VerificationVerdict.Honest, outcome.Detail);
        Assert.Contains($"{last.Receipt.Step + 1} steps", outcome.Detail);
    }

    private async Task AssertNotChallengedAsync(Payments.PaidProviderHost host)
    {
        Assert.False((await devnet.Registry().PendingSlashAsync(host.Payments.Options.Account)).Active);
        Assert.False((await devnet.Registry().GetProviderAsync(host.Payments.Options.Account)).Jailed);
    }

    private byte[] Digest(Protocol.Payments.SignedReceipt receipt) => receipt.Receipt.Digest(devnet.Deployment.ChainId, devnet.Deployment.Registry);

    private async Task<(SwarmClient Swarm, ClientPayments Payments)> ClientAsync(Payments.PaidProviderHost bootstrap) =>
        await _swarm.ConnectPayingClientAsync(await devnet.NewFundedAccountAsync(), bootstrap.Node.ListenAddresses);

    private static async Task<Protocol.Payments.SignedReceipt> PayAsync(SwarmClient swarm, ClientPayments payments, Payments.PaidProviderHost host, int seed)
    {
        var record = (await swarm.GetProvidersAsync("tiny", CancellationToken.None)).Single(p => p.PeerId == host.Node.PeerId.ToString());
        return (await VerifierHarness.ForwardAsync(swarm, payments, record, 1, 5, TinyModelFixture.TestShape.Hidden, seed)).Receipt;
    }
}
