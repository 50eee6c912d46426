using Dapper;
using Microsoft.Data.Sqlite;

namespace Peerz.Ledger.Storage;

/// <summary>
/// A SQLite file in WAL mode with its schema brought up to date on open. Each store (provider ledger, client
/// ledger, settlement) passes its own ordered migrations; applied versions are recorded in schema_migrations,
/// so reopening is idempotent and a newer file is refused rather than misread.
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;

    private SqliteDatabase(string connectionString) => _connectionString = connectionString;

    public static async Task<SqliteDatabase> OpenAsync(string path, IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1) throw new ArgumentException($"migration versions must be 1, 2, 3, …; found {migrations[i].Version} at position {i + 1}");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
        var database = new SqliteDatabase(connectionString);
        await using var connection = await database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        // WAL survives in the file; readers never block the writer and a crash loses no committed transaction.
        await connection.ExecuteAsync("PRAGMA journal_mode=WAL;").ConfigureAwait(false);
        await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL);").ConfigureAwait(false);
        var applied = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations;").ConfigureAwait(false);
        if (applied > migrations.Count)
            throw new InvalidDataException($"{path} has schema version {applied}, newer than this program knows ({migrations.Count}); upgrade Peerz");
        foreach (var migration in migrations.Skip((int)applied))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(migration.Sql, transaction: transaction).ConfigureAwait(false);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, description, applied_at) VALUES (@Version, @Description, @Now);",
                new { migration.Version, migration.Description, Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() },
                transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return database;
    }

    /// <summary>An open connection with foreign keys enforced and a busy timeout; dispose it after use.</summary>
    public async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;").ConfigureAwait(false);
        return connection;
    }
}
