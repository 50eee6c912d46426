using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Peerz.Testing.Logging;
using Peerz.Verifier.Hosting;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Storage;

namespace Peerz.Verifier.Tests.Hosting;

/// <summary>The verifier's loops as hosted services, on a real SQLite ledger and pending-session store, with a fake clock.</summary>
public sealed class VerifierLoopsTests : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("peerz-loops-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
    private readonly RecordedLogs _logs = new();

    [Fact]
    public async Task The_checking_loop_survives_a_failing_ledger_write_and_keeps_taking_reports()
    {
        var path = Path.Combine(_directory, "verifier.db");
        var pending = await PendingSessions.OpenAsync(await VerifierLedger.OpenAsync(path, CancellationToken.None), Quiet, 16, _time, CancellationToken.None);
        var receipts = new SessionReceipts(_time);
        var (first, second, third) = (receipts.NewSession()(0), receipts.NewSession()(0), receipts.NewSession()(0));
        foreach (var receipt in new[] { first, second, third })
            await pending.ReportAsync(receipt, SessionKey.Of(receipt.Receipt), Retention, CancellationToken.None);
        _time.Advance(Quiet);
        var queue = new SessionCheckQueue(pending);
        Assert.Equal(3, queue.ReleaseDue());
        // The first check fails the way the ledger fails when its disk does.
        var checker = new ScriptedChecker(_time) { OnCheck = r => { if (r == first) throw new SqliteException("disk I/O error", 10); } };
        using var loop = new ReceiptCheckingService(queue, checker, _logs.CreateLogger<ReceiptCheckingService>());

        await loop.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => pending.Count == 0);
        await loop.StopAsync(CancellationToken.None);

        Assert.Equal([first, second, third], checker.Checked);
        var failure = Assert.Single(_logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Equal("recording a check failed", failure.Message);
        Assert.IsType<SqliteException>(failure.Exception);
        // Every session left the pending store for good: a restart does not check them again.
        SqliteConnection.ClearAllPools();
        var reopened = await PendingSessions.OpenAsync(await VerifierLedger.OpenAsync(path, CancellationToken.None), Quiet, 16, _time, CancellationToken.None);
        Assert.Equal(0, reopened.Count);
    }

    [Fact]
    public async Task Quiet_sessions_are_released_to_the_queue_once_quiet_and_not_before()
    {
        var pending = await PendingSessions.OpenAsync(await VerifierLedger.OpenAsync(Path.Combine(_directory, "verifier.db"), CancellationToken.None), Quiet, 16, _time,
            CancellationToken.None);
        var session = new SessionReceipts(_time).NewSession();
        await pending.ReportAsync(session(0), SessionKey.Of(session(0).Receipt), Retention, CancellationToken.None);
        var reportedAt = _time.GetUtcNow();
        var queue = new SessionCheckQueue(pending);
        using var loop = new QuietSessionReleaseService(queue, _time, _logs.CreateLogger<QuietSessionReleaseService>());
        await loop.StartAsync(CancellationToken.None);

        var waited = 0;
        while (!queue.Queue.TryPeek(out _) && waited++ < 120)
        {
            _time.Advance(QuietSessionReleaseService.Period);
            await Task.Delay(5);
        }
        await loop.StopAsync(CancellationToken.None);

        Assert.True(queue.Queue.TryRead(out var released), "the quiet session was never released");
        Assert.Equal(0UL, released.Receipt.Step);
        Assert.InRange(_time.GetUtcNow() - reportedAt, Quiet, Quiet + QuietSessionReleaseService.Period * 2);
    }

    [Fact]
    public async Task The_retry_loop_asks_again_every_spacing_and_survives_a_failed_round()
    {
        var spacing = TimeSpan.FromSeconds(20);
        var checker = new ScriptedChecker(_time) { OnRetry = round => round == 1 ? throw new SqliteException("database is locked", 5) : 2 };
        using var loop = new UnavailablePayloadRetryService(checker, UnavailabilityPolicy.Default with { Spacing = spacing }, _time,
            _logs.CreateLogger<UnavailablePayloadRetryService>());
        Assert.Equal(spacing, loop.Interval);
        var started = _time.GetUtcNow();
        await loop.StartAsync(CancellationToken.None);

        var advanced = 0;
        while (checker.Retries.Count < 2 && advanced++ < 100)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }
        await loop.StopAsync(CancellationToken.None);

        Assert.True(checker.Retries.Count >= 2, $"{checker.Retries.Count} retry rounds");
        Assert.True(checker.Retries[0] - started >= spacing, "a round ran before the spacing passed");
        Assert.True(checker.Retries[1] - checker.Retries[0] >= spacing, "two rounds less than the spacing apart");
        var failure = Assert.Single(_logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Equal("retrying unavailable payloads failed", failure.Message);
        Assert.IsType<SqliteException>(failure.Exception);
        await _logs.WaitForLineAsync("asked again for 2 unavailable payloads", Bound);
    }

    [Fact]
    public void The_retry_loop_runs_at_least_once_a_minute_however_long_the_spacing()
    {
        using var loop = new UnavailablePayloadRetryService(new ScriptedChecker(_time), UnavailabilityPolicy.Default, _time, _logs.CreateLogger<UnavailablePayloadRetryService>());
        Assert.Equal(TimeSpan.FromMinutes(10), UnavailabilityPolicy.Default.Spacing);
        Assert.Equal(TimeSpan.FromMinutes(1), loop.Interval);
    }

    public void Dispose()
    {
        _logs.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the loop did not get there");
            await Task.Delay(10);
        }
    }
}
