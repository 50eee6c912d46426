using System.Data.Common;
using Npgsql;
using Peerz.Settlement.Storage;
using Peerz.Testing.Storage;

namespace Peerz.Settlement.Tests.Storage;

/// <summary>
/// The store suite on PostgreSQL: the collection's server (started from the Debian package) with a fresh database per
/// test. Skipped, with the reason, where PostgreSQL is not installed, unless PEERZ_REQUIRE_POSTGRES=1.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Postgres")]
public sealed class PostgresSettlementStoreTests(PostgresServer server) : SettlementStoreTests
{
    private string? _url;

    protected override Task<SettlementStore> OpenStoreAsync() => SettlementStore.OpenAsync(Url(), CancellationToken.None);

    protected override async Task<DbConnection> ConnectDirectlyAsync()
    {
        var connection = new NpgsqlConnection(StoreLocation.PostgresConnectionString(Url()));
        await connection.OpenAsync();
        return connection;
    }

    private string Url()
    {
        Skip.If(server.SkipReason is not null, server.SkipReason);
        return _url ??= server.CreateDatabase();
    }
}
