using System.Security.Cryptography;
using Dapper;
using Peerz.Ledger.Storage;
using Peerz.Verifier.Slashing;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Storage;

/// <summary>
/// The verifier's SQLite record: every verdict it reached (one row per check, errors included), the latest state of
/// each receipt (keyed by its digest, with the signed receipt kept so unavailable payloads can be asked for again),
/// the failed fetches that count towards an Unavailable challenge, every slash it proposed with its evidence record,
/// the sampling secret, and the sampled sessions (the latest receipt reported for each, and the last step a check covered).
/// </summary>
public sealed class VerifierLedger
{
    private static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, "checks", """
            CREATE TABLE checks (
                digest BLOB PRIMARY KEY,
                provider TEXT NOT NULL,
                verdict TEXT NOT NULL,
                divergence REAL NOT NULL,
                detail TEXT NOT NULL,
                slash_tx TEXT,
                checked_at INTEGER NOT NULL);
            CREATE INDEX checks_by_provider ON checks (provider, checked_at);
            """),
        new(2, "verdict history, unavailability, slash proposals, sampling secret", """
            ALTER TABLE checks ADD COLUMN receipt BLOB;
            ALTER TABLE checks ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE checks ADD COLUMN last_failure_at INTEGER;
            ALTER TABLE checks ADD COLUMN first_checked_at INTEGER;
            CREATE TABLE verdicts (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                digest BLOB NOT NULL,
                provider TEXT NOT NULL,
                verdict TEXT NOT NULL,
                divergence REAL NOT NULL,
                detail TEXT NOT NULL,
                at INTEGER NOT NULL);
            CREATE INDEX verdicts_by_digest ON verdicts (digest);
            CREATE TABLE slashes (
                digest BLOB PRIMARY KEY,
                evidence_digest BLOB NOT NULL,
                provider TEXT NOT NULL,
                fault TEXT NOT NULL,
                recomputed_output_hash BLOB NOT NULL,
                evidence TEXT NOT NULL,
                evidence_hash BLOB NOT NULL,
                proposal_tx TEXT NOT NULL,
                proposed_at INTEGER NOT NULL,
                withdrawal_tx TEXT);
            CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
            """),
        new(3, "sampled sessions awaiting their check", """
            CREATE TABLE sessions (
                key BLOB PRIMARY KEY,
                provider TEXT NOT NULL,
                receipt BLOB NOT NULL,
                step INTEGER NOT NULL,
                reported_at INTEGER NOT NULL,
                due_by INTEGER NOT NULL,
                window_ms INTEGER NOT NULL,
                checked_step INTEGER);
            CREATE INDEX sessions_pending ON sessions (checked_step, step);
            """),
    ];

    private readonly SqliteDatabase _database;

    private VerifierLedger(SqliteDatabase database) => _database = database;

    public static async Task<VerifierLedger> OpenAsync(string path, CancellationToken cancellationToken) =>
        new(await SqliteDatabase.OpenAsync(path, Migrations, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// The verifier's sampling secret, drawn once on first use and kept here: the sampling decision for a receipt is
    /// a function of it and the receipt's digest, so it must outlive restarts or re-reporting after one would re-draw.
    /// </summary>
    public async Task<byte[]> SamplingSecretAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync("INSERT OR IGNORE INTO secrets (name, value) VALUES ('sampling', @value)", new { value = RandomNumberGenerator.GetBytes(32) }).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<byte[]>("SELECT value FROM secrets WHERE name = 'sampling'").ConfigureAwait(false)
            ?? throw new InvalidOperationException("the sampling secret was not stored");
    }

    /// <summary>
    /// Keeps a sampled session's latest reported receipt, when it was reported, and when it is due for its check at the
    /// latest (<paramref name="window"/> after the first report since the last check). A write for an earlier step than
    /// the one kept changes nothing, so reports racing each other never step a session back.
    /// </summary>
    public async Task SaveSessionAsync(byte[] key, string provider, byte[] signedReceipt, ulong step, DateTimeOffset reportedAt, DateTimeOffset dueBy, TimeSpan window,
        CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            """
            INSERT INTO sessions (key, provider, receipt, step, reported_at, due_by, window_ms) VALUES (@key, @provider, @signedReceipt, @step, @reportedAt, @dueBy, @window)
                ON CONFLICT (key) DO UPDATE SET receipt = excluded.receipt, step = excluded.step, reported_at = excluded.reported_at, due_by = excluded.due_by,
                    window_ms = excluded.window_ms
                WHERE excluded.step >= step;
            """, new
            {
                key,
                provider,
                signedReceipt,
                step = StepValue(step),
                reportedAt = reportedAt.ToUnixTimeMilliseconds(),
                dueBy = dueBy.ToUnixTimeMilliseconds(),
                window = (long)window.TotalMilliseconds,
            }).ConfigureAwait(false);
    }

    /// <summary>Records that a check covered the session up to <paramref name="step"/> (a check of step k compares steps 0..k).</summary>
    public async Task SessionCheckedAsync(byte[] key, ulong step, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync("UPDATE sessions SET checked_step = MAX(COALESCE(checked_step, -1), @step) WHERE key = @key", new { key, step = StepValue(step) }).ConfigureAwait(false);
    }

    /// <summary>The last step of the session a check covered, or null when none did.</summary>
    public async Task<ulong?> SessionCheckedStepAsync(byte[] key, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var step = await connection.ExecuteScalarAsync<long?>("SELECT checked_step FROM sessions WHERE key = @key", new { key }).ConfigureAwait(false);
        return step is { } s ? (ulong)s : null;
    }

    /// <summary>Sampled sessions with steps no check has covered yet, as <see cref="SaveSessionAsync"/> kept them.</summary>
    public async Task<IReadOnlyList<(byte[] Receipt, DateTimeOffset ReportedAt, DateTimeOffset DueBy, TimeSpan Window)>> PendingSessionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(byte[] Receipt, long ReportedAt, long DueBy, long Window)>(
            "SELECT receipt, reported_at, due_by, window_ms FROM sessions WHERE checked_step IS NULL OR checked_step < step ORDER BY reported_at").ConfigureAwait(false);
        return rows.Select(r => (r.Receipt, DateTimeOffset.FromUnixTimeMilliseconds(r.ReportedAt), DateTimeOffset.FromUnixTimeMilliseconds(r.DueBy), TimeSpan.FromMilliseconds(r.Window))).ToList();
    }

    /// <summary>SQLite integers are signed; no real session comes near 2^63 steps.</summary>
    private static long StepValue(ulong step) => (long)Math.Min(step, long.MaxValue);

    /// <summary>The latest state of a receipt, or null when it was never checked.</summary>
    public async Task<ReceiptState?> StateAsync(byte[] digest, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string Verdict, long Failures, long? LastFailureAt, string? Fault, string? WithdrawalTx, byte[]? EvidenceDigest)>(
            """
            SELECT c.verdict, c.failures, c.last_failure_at, s.fault, s.withdrawal_tx, s.evidence_digest
            FROM checks c LEFT JOIN slashes s ON s.digest = c.digest WHERE c.digest = @digest
            """, new { digest }).ConfigureAwait(false);
        if (rows.FirstOrDefault() is not { Verdict: not null } r) return null;
        return new ReceiptState(Enum.Parse<VerificationVerdict>(r.Verdict), (int)r.Failures,
            r.LastFailureAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null,
            r.Fault is null ? null : new SlashState(Enum.Parse<Chain.Contracts.SlashFault>(r.Fault), r.EvidenceDigest!, r.WithdrawalTx is not null));
    }

    /// <summary>Records a verdict: appended to the history, and the receipt's latest state (with the signed receipt) updated.</summary>
    public async Task RecordAsync(byte[] digest, string provider, byte[] signedReceipt, VerificationOutcome outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var row = new
        {
            digest,
            provider,
            receipt = signedReceipt,
            verdict = outcome.Verdict.ToString(),
            detail = outcome.Detail,
            now = now.ToUnixTimeMilliseconds(),
            divergence = double.IsFinite(outcome.Divergence) ? outcome.Divergence : double.MaxValue,
        };
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            """
            INSERT INTO verdicts (digest, provider, verdict, divergence, detail, at) VALUES (@digest, @provider, @verdict, @divergence, @detail, @now);
            INSERT INTO checks (digest, provider, verdict, divergence, detail, checked_at, first_checked_at, receipt)
                VALUES (@digest, @provider, @verdict, @divergence, @detail, @now, @now, @receipt)
                ON CONFLICT (digest) DO UPDATE SET verdict = excluded.verdict, divergence = excluded.divergence, detail = excluded.detail, checked_at = excluded.checked_at;
            """, row).ConfigureAwait(false);
    }

    /// <summary>
    /// Counts a failed fetch towards an Unavailable challenge, unless the last counted one is less than
    /// <paramref name="spacing"/> ago (so failures must be spread over time). Returns the count.
    /// </summary>
    public async Task<int> CountFailureAsync(byte[] digest, DateTimeOffset now, TimeSpan spacing, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return (int)await connection.ExecuteScalarAsync<long>(
            """
            UPDATE checks SET failures = failures + 1, last_failure_at = @now
                WHERE digest = @digest AND (last_failure_at IS NULL OR last_failure_at <= @now - @spacing);
            SELECT failures FROM checks WHERE digest = @digest;
            """, new { digest, now = now.ToUnixTimeMilliseconds(), spacing = (long)spacing.TotalMilliseconds }).ConfigureAwait(false);
    }

    /// <summary>
    /// Receipts whose payload could not be fetched (and whose challenge, if any, is not withdrawn), last tried at least
    /// <paramref name="spacing"/> ago and first seen after <paramref name="notBefore"/>: the signed receipts to ask for again.
    /// </summary>
    public async Task<IReadOnlyList<byte[]>> DueRetriesAsync(DateTimeOffset now, TimeSpan spacing, DateTimeOffset notBefore, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<byte[]>(
            """
            SELECT c.receipt FROM checks c LEFT JOIN slashes s ON s.digest = c.digest
            WHERE c.verdict = @verdict AND c.receipt IS NOT NULL AND s.withdrawal_tx IS NULL
              AND c.checked_at <= @due AND c.first_checked_at >= @notBefore
            ORDER BY c.checked_at
            """, new { verdict = nameof(VerificationVerdict.MissingPayload), due = (now - spacing).ToUnixTimeMilliseconds(), notBefore = notBefore.ToUnixTimeMilliseconds() }).ConfigureAwait(false);
        return rows.ToList();
    }

    /// <summary>Records a proposal sent on chain (a later proposal for the same receipt replaces the earlier record: the latest is the one pending).</summary>
    public async Task RecordProposalAsync(byte[] digest, SlashProposal proposal, string transactionHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            """
            INSERT INTO slashes (digest, evidence_digest, provider, fault, recomputed_output_hash, evidence, evidence_hash, proposal_tx, proposed_at)
                VALUES (@digest, @evidenceDigest, @provider, @fault, @recomputed, @evidence, @evidenceHash, @transactionHash, @now)
                ON CONFLICT (digest) DO UPDATE SET evidence_digest = excluded.evidence_digest, fault = excluded.fault, recomputed_output_hash = excluded.recomputed_output_hash,
                    evidence = excluded.evidence, evidence_hash = excluded.evidence_hash, proposal_tx = excluded.proposal_tx, proposed_at = excluded.proposed_at, withdrawal_tx = NULL;
            UPDATE checks SET slash_tx = @transactionHash WHERE digest = @digest;
            """, new
            {
                digest,
                evidenceDigest = proposal.EvidenceDigest,
                provider = proposal.Provider.ToString(),
                fault = proposal.Fault.ToString(),
                recomputed = proposal.RecomputedOutputHash,
                evidence = proposal.Evidence,
                evidenceHash = proposal.EvidenceHash,
                transactionHash,
                now = now.ToUnixTimeMilliseconds(),
            }).ConfigureAwait(false);
    }

    public async Task RecordWithdrawalAsync(byte[] digest, string transactionHash, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync("UPDATE slashes SET withdrawal_tx = @transactionHash WHERE digest = @digest", new { digest, transactionHash }).ConfigureAwait(false);
    }

    /// <summary>The evidence record whose keccak256 is <paramref name="evidenceHash"/> (what an arbiter asks for), or null.</summary>
    public async Task<string?> EvidenceAsync(byte[] evidenceHash, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<string?>("SELECT evidence FROM slashes WHERE evidence_hash = @evidenceHash", new { evidenceHash }).ConfigureAwait(false);
    }

    /// <summary>Latest verdicts per kind for one provider account.</summary>
    public async Task<IReadOnlyDictionary<VerificationVerdict, long>> CountAsync(string provider, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string Verdict, long Count)>("SELECT verdict, COUNT(*) FROM checks WHERE provider = @provider GROUP BY verdict", new { provider }).ConfigureAwait(false);
        return rows.ToDictionary(r => Enum.Parse<VerificationVerdict>(r.Verdict), r => r.Count);
    }

    /// <summary>Every verdict reached for one receipt, oldest first.</summary>
    public async Task<IReadOnlyList<VerificationVerdict>> HistoryAsync(byte[] digest, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<string>("SELECT verdict FROM verdicts WHERE digest = @digest ORDER BY id", new { digest }).ConfigureAwait(false);
        return rows.Select(Enum.Parse<VerificationVerdict>).ToList();
    }
}
