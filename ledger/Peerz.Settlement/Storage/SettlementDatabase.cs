using System.Data.Common;

namespace Peerz.Settlement.Storage;

/// <summary>
/// The engine under the settlement store, SQLite or PostgreSQL (chosen by <see cref="StoreLocation"/>), reduced to
/// what differs between them: how a connection opens and how a write transaction keeps other writers out. The
/// store's queries are the same for both.
/// </summary>
public abstract class SettlementDatabase : IAsyncDisposable
{
    /// <summary>Opens the store at <paramref name="location"/> (see <see cref="StoreLocation"/>) and brings its schema up to date.</summary>
    public static async Task<SettlementDatabase> OpenAsync(string location, CancellationToken cancellationToken) =>
        StoreLocation.IsPostgres(location)
            ? await PostgresSettlementDatabase.OpenUrlAsync(location, cancellationToken).ConfigureAwait(false)
            : await SqliteSettlementDatabase.OpenFileAsync(location, cancellationToken).ConfigureAwait(false);

    /// <summary>An open connection; dispose it after use.</summary>
    public abstract Task<DbConnection> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A transaction that holds the store's one write lock from its start to its end, so a check ("is the epoch
    /// closed?", "how many contributions?") and the write that depends on it never interleave with another writer.
    /// </summary>
    public abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}
