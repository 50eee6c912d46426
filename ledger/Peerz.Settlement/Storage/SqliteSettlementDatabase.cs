using System.Data.Common;
using Peerz.Ledger.Storage;

namespace Peerz.Settlement.Storage;

/// <summary>The settlement store in one SQLite file (the default), shared machinery with the payment ledgers.</summary>
internal sealed class SqliteSettlementDatabase(SqliteDatabase database) : SettlementDatabase
{
    public static async Task<SettlementDatabase> OpenFileAsync(string path, CancellationToken cancellationToken) =>
        new SqliteSettlementDatabase(await SqliteDatabase.OpenAsync(path, SettlementMigrations.For(SchemaDialect.Sqlite), cancellationToken).ConfigureAwait(false));

    public override async Task<DbConnection> ConnectAsync(CancellationToken cancellationToken) =>
        await database.ConnectAsync(cancellationToken).ConfigureAwait(false);

    public override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        SqliteDatabase.BeginWriteAsync(connection, cancellationToken);

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
