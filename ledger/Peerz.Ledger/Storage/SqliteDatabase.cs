using System.Data.Common;
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
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
        var database = new SqliteDatabase(connectionString);
        await using var connection = await database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        // WAL survives in the file; readers never block the writer and a crash loses no committed transaction.
        await connection.ExecuteAsync("PRAGMA journal_mode=WAL;").ConfigureAwait(false);
        await SchemaMigrator.ApplyAsync(connection, migrations, path, BeginWriteAsync, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// A write transaction: Microsoft.Data.Sqlite begins it IMMEDIATE, taking the file's write lock at once, so a
    /// check and the write it guards never interleave with another writer.
    /// </summary>
    public static async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
    }
}
