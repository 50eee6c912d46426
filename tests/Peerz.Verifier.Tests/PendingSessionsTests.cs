using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Protocol.Payments;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Storage;

namespace Peerz.Verifier.Tests;

public sealed class PendingSessionsTests : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private readonly EthKey _signer = EthKey.Generate();
    private readonly string _directory = Directory.CreateTempSubdirectory("peerz-pending-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

    [Fact]
    public async Task A_session_is_due_once_quiet_through_its_latest_step_or_at_its_deadline_if_never_quiet()
    {
        var pending = await OpenAsync();
        var quiet = Session();
        var busy = Session();
        Assert.Equal(IntakeStatus.Queued, (await ReportAsync(pending, quiet(0))).Status);
        Assert.Equal(IntakeStatus.Queued, (await ReportAsync(pending, quiet(1))).Status);
        Assert.Equal(IntakeStatus.Duplicate, (await ReportAsync(pending, quiet(0))).Status); // covered by the pending later step
        Assert.Equal(IntakeStatus.Queued, (await ReportAsync(pending, busy(0))).Status);
        Assert.Equal(2, pending.Count);

        _time.Advance(Quiet - TimeSpan.FromSeconds(1));
        Assert.Empty(pending.TakeDue());
        Assert.Equal(IntakeStatus.Queued, (await ReportAsync(pending, busy(1))).Status);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([1UL], pending.TakeDue().Select(r => r.Receipt.Step));
        Assert.Empty(pending.TakeDue()); // queued once

        // A session reporting a step every 20 s never goes quiet; it is due a quarter of the retention window after its first report.
        var step = 2UL;
        while (_time.GetUtcNow() < DateTimeOffset.FromUnixTimeSeconds(1_700_000_000) + Retention / 4 - TimeSpan.FromSeconds(20))
        {
            _time.Advance(TimeSpan.FromSeconds(20));
            Assert.Empty(pending.TakeDue());
            await ReportAsync(pending, busy(step++));
        }
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal([step - 1], pending.TakeDue().Select(r => r.Receipt.Step));
    }

    [Fact]
    public async Task A_newer_step_reported_during_a_check_makes_the_session_pending_again_and_a_restart_keeps_what_is_pending()
    {
        var path = Path.Combine(_directory, "verifier.db");
        var pending = await OpenAsync(path);
        var (done, resumed, waiting) = (Session(), Session(), Session());
        foreach (var receipt in new[] { done(3), resumed(3), waiting(0) }) await ReportAsync(pending, receipt);
        _time.Advance(Quiet);
        var due = pending.TakeDue();
        Assert.Equal(3, due.Count);
        await ReportAsync(pending, resumed(4)); // arrives while step 3 is being checked
        foreach (var receipt in due.Where(r => r.Receipt.SessionId.SequenceEqual(done(0).Receipt.SessionId) || r.Receipt.SessionId.SequenceEqual(resumed(0).Receipt.SessionId)))
            await pending.CheckedAsync(receipt, CancellationToken.None);
        Assert.Equal(2, pending.Count); // resumed (step 4 unchecked) and waiting (queued, not checked yet)
        Assert.Empty(pending.TakeDue());
        _time.Advance(Quiet);
        Assert.Equal([4UL], pending.TakeDue().Select(r => r.Receipt.Step));

        // After a restart, what no check covered is pending again (none of it queued); the checked session is gone.
        SqliteConnection.ClearAllPools();
        var reopened = await OpenAsync(path);
        Assert.Equal(2, reopened.Count);
        Assert.Equal([0UL, 4UL], reopened.TakeDue().Select(r => r.Receipt.Step).Order());
        Assert.Equal(IntakeStatus.Duplicate, (await ReportAsync(reopened, resumed(4))).Status);
    }

    [Fact]
    public async Task When_full_new_sessions_are_refused_while_pending_ones_still_advance()
    {
        var pending = await OpenAsync(capacity: 2);
        var (a, b, c) = (Session(), Session(), Session());
        Assert.Equal(IntakeStatus.Queued, (await ReportAsync(pending, a(0))).Status);
        Assert.Equal(IntakeStatus.Queued, (await ReportAsync(pending, b(0))).Status);
        Assert.Equal(IntakeStatus.QueueFull, (await ReportAsync(pending, c(0))).Status);
        Assert.Equal(IntakeStatus.Queued, (await ReportAsync(pending, a(1))).Status);
        _time.Advance(Quiet);
        foreach (var receipt in pending.TakeDue()) await pending.CheckedAsync(receipt, CancellationToken.None);
        Assert.Equal(IntakeStatus.Queued, (await ReportAsync(pending, c(0))).Status);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<PendingSessions> OpenAsync(string? path = null, int capacity = 16) =>
        await PendingSessions.OpenAsync(await VerifierLedger.OpenAsync(path ?? Path.Combine(_directory, $"{Guid.NewGuid():N}.db"), CancellationToken.None), Quiet, capacity, _time,
            CancellationToken.None);

    private static Task<IntakeResult> ReportAsync(PendingSessions pending, SignedReceipt receipt) =>
        pending.ReportAsync(receipt, SessionKey.Of(receipt.Receipt), Retention, CancellationToken.None);

    /// <summary>Receipts of one inference session, by step, signed by this test's provider key.</summary>
    private Func<ulong, SignedReceipt> Session()
    {
        var id = WorkIds.NewSession(WorkKind.Inference);
        return step => SignedReceipt.Sign(new WorkReceipt(_signer.Address, Address.Zero, id, step, WorkIds.Model("tiny"), 0, 4, new byte[32], new byte[32], 1,
            (ulong)_time.GetUtcNow().ToUnixTimeSeconds(), 0, 0), _signer, 31337, Address.Zero);
    }
}
