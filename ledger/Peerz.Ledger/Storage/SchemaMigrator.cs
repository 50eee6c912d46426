using System.Data.Common;
using Dapper;

namespace Peerz.Ledger.Storage;

/// <summary>
/// Brings a database's schema up to date, whatever the engine: applies the migrations after the highest version
/// recorded in schema_migrations, each in one write transaction with its record, so reopening is idempotent and a
/// crash mid-way leaves a step either done or not started. A database newer than the migrations is refused rather
/// than misread. The caller says how a write transaction begins (SQLite and PostgreSQL take their write lock differently).
/// </summary>
public static class SchemaMigrator
{
    public static async Task ApplyAsync(
        DbConnection connection,
        IReadOnlyList<Migration> migrations,
        string databaseName,
        Func<DbConnection, CancellationToken, Task<DbTransaction>> beginWrite,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentNullException.ThrowIfNull(beginWrite);
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1) throw new ArgumentException($"migration versions must be 1, 2, 3, …; found {migrations[i].Version} at position {i + 1}");
        }

        // BIGINT: applied_at is Unix seconds, past PostgreSQL's 32-bit INTEGER in 2038 (SQLite stores it the same either way).
        await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL);").ConfigureAwait(false);
        var applied = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations;").ConfigureAwait(false);
        if (applied > migrations.Count)
            throw new InvalidDataException($"{databaseName} has schema version {applied}, newer than this program knows ({migrations.Count}); upgrade Peerz");
        foreach (var migration in migrations.Skip((int)applied))
        {
            await using var transaction = await beginWrite(connection, cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(migration.Sql, transaction: transaction).ConfigureAwait(false);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, description, applied_at) VALUES (@Version, @Description, @Now);",
                new { migration.Version, migration.Description, Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() },
                transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
