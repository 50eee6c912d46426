using Dapper;
using Peerz.Ledger.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Storage;

/// <summary>The verifier's SQLite record of every check and every slash it sent, keyed by the receipt's digest.</summary>
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
    ];

    private readonly SqliteDatabase _database;

    private VerifierLedger(SqliteDatabase database) => _database = database;

    public static async Task<VerifierLedger> OpenAsync(string path, CancellationToken cancellationToken) =>
        new(await SqliteDatabase.OpenAsync(path, Migrations, cancellationToken).ConfigureAwait(false));

    /// <summary>True if this receipt was checked before (a receipt is checked once, however often it is reported).</summary>
    public async Task<bool> HasCheckedAsync(byte[] digest, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM checks WHERE digest = @digest", new { digest }).ConfigureAwait(false) > 0;
    }

    public async Task RecordAsync(byte[] digest, string provider, VerificationOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "INSERT OR IGNORE INTO checks (digest, provider, verdict, divergence, detail, checked_at) VALUES (@digest, @provider, @verdict, @divergence, @detail, @now)",
            new { digest, provider, verdict = outcome.Verdict.ToString(), divergence = double.IsFinite(outcome.Divergence) ? outcome.Divergence : double.MaxValue, detail = outcome.Detail, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }).ConfigureAwait(false);
    }

    public async Task RecordSlashAsync(byte[] digest, string transactionHash, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync("UPDATE checks SET slash_tx = @transactionHash WHERE digest = @digest", new { digest, transactionHash }).ConfigureAwait(false);
    }

    /// <summary>Checks per verdict for one provider account.</summary>
    public async Task<IReadOnlyDictionary<VerificationVerdict, long>> CountAsync(string provider, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string Verdict, long Count)>("SELECT verdict, COUNT(*) FROM checks WHERE provider = @provider GROUP BY verdict", new { provider }).ConfigureAwait(false);
        return rows.ToDictionary(r => Enum.Parse<VerificationVerdict>(r.Verdict), r => r.Count);
    }
}
