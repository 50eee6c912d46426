using System.Data.Common;
using Microsoft.Data.Sqlite;
using Peerz.Settlement.Storage;
using Peerz.Testing;

namespace Peerz.Settlement.Tests.Storage;

/// <summary>The store suite on a SQLite file in a temporary directory (the default engine).</summary>
public sealed class SqliteSettlementStoreTests : SettlementStoreTests, IDisposable
{
    private readonly string _directory = TempDirectory.Create("settle-store");

    private string DatabasePath => Path.Combine(_directory, "settlement.db");

    public void Dispose() => TempDirectory.Delete(_directory);

    protected override Task<SettlementStore> OpenStoreAsync() => SettlementStore.OpenAsync(DatabasePath, CancellationToken.None);

    protected override async Task<DbConnection> ConnectDirectlyAsync()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync();
        return connection;
    }
}
