using System.Data.Common;
using Dapper;
using Npgsql;
using Peerz.Ledger.Storage;

namespace Peerz.Settlement.Storage;

/// <summary>The settlement store in a PostgreSQL database, through a pooled Npgsql data source.</summary>
internal sealed class PostgresSettlementDatabase(NpgsqlDataSource dataSource) : SettlementDatabase
{
    // Any fixed number works, as long as every settlement writer uses the same one: ASCII "peerzstl".
    private const long WriteLockKey = 0x7065_6572_7A73_746C;

    public static async Task<SettlementDatabase> OpenUrlAsync(string url, CancellationToken cancellationToken)
    {
        var dataSource = NpgsqlDataSource.Create(StoreLocation.PostgresConnectionString(url));
        var database = new PostgresSettlementDatabase(dataSource);
        try
        {
            await using var connection = await database.ConnectAsync(cancellationToken).ConfigureAwait(false);
            await SchemaMigrator.ApplyAsync(connection, SettlementMigrations.For(SchemaDialect.Postgres), StoreLocation.Describe(url), database.BeginWriteAsync, cancellationToken)
                .ConfigureAwait(false);
            return database;
        }
        catch (Exception e)
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            // Wrong host, password or database name are the operator's to fix: say which store and why, no stack trace.
            if (e is NpgsqlException) throw new StoreUnavailableException($"cannot open the settlement store {StoreLocation.Describe(url)}: {e.Message}", e);
            throw;
        }
    }

    public override async Task<DbConnection> ConnectAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// READ COMMITTED plus one transaction-scoped advisory lock that every writer takes first: writers queue on it as
    /// they queue on the file in SQLite's BEGIN IMMEDIATE, and each statement after it sees every earlier writer's commit.
    /// </summary>
    public override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@Key);", new { Key = WriteLockKey }, transaction).ConfigureAwait(false);
        return transaction;
    }

    public override ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
