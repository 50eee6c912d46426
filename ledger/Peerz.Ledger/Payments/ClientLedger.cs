using System.Numerics;
using Dapper;
using Peerz.Chain.Crypto;
using Peerz.Ledger.Storage;
using static Peerz.Ledger.Storage.DbValues;

namespace Peerz.Ledger.Payments;

/// <summary>
/// The client's SQLite ledger for one escrow: how much it has signed for to each provider (so vouchers stay
/// cumulative across sessions and restarts) and the receipts it accepted.
/// </summary>
public sealed class ClientLedger
{
    private readonly SqliteDatabase _database;
    private readonly string _escrow;

    private ClientLedger(SqliteDatabase database, Address escrow)
    {
        _database = database;
        _escrow = Key(escrow);
    }

    public static async Task<ClientLedger> OpenAsync(string path, Address escrow, CancellationToken cancellationToken) =>
        new(await SqliteDatabase.OpenAsync(path, ClientLedgerSchema.Migrations, cancellationToken).ConfigureAwait(false), escrow);

    /// <summary>Adds <paramref name="cost"/> to what is owed to <paramref name="provider"/> and takes the next nonce, atomically.</summary>
    public async Task<(BigInteger Cumulative, BigInteger Nonce)> ReserveAsync(Address provider, BigInteger cost, CancellationToken cancellationToken)
    {
        if (cost < 0) throw new ArgumentOutOfRangeException(nameof(cost));
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var key = new { escrow = _escrow, provider = Key(provider) };
        var row = await connection.QuerySingleOrDefaultAsync<ProviderRow>(
            "SELECT cumulative, nonce FROM providers WHERE escrow = @escrow AND provider = @provider", key, transaction).ConfigureAwait(false);
        var cumulative = (row is null ? 0 : Amount(row.Cumulative)) + cost;
        var nonce = (row is null ? 0 : Amount(row.Nonce)) + 1;
        await connection.ExecuteAsync(
            """
            INSERT INTO providers (escrow, provider, cumulative, nonce) VALUES (@escrow, @provider, @cumulative, @nonce)
            ON CONFLICT (escrow, provider) DO UPDATE SET cumulative = excluded.cumulative, nonce = excluded.nonce
            """,
            new { key.escrow, key.provider, cumulative = Text(cumulative), nonce = Text(nonce) }, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (cumulative, nonce);
    }

    /// <summary>
    /// Takes back a reservation the provider refused (it never stored that voucher): the amount owed drops by
    /// <paramref name="cost"/>; the nonce stays used, so nonces only grow.
    /// </summary>
    public async Task ReleaseAsync(Address provider, BigInteger cost, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var key = new { escrow = _escrow, provider = Key(provider) };
        var current = await connection.ExecuteScalarAsync<string?>("SELECT cumulative FROM providers WHERE escrow = @escrow AND provider = @provider", key, transaction).ConfigureAwait(false);
        if (current is null) return;
        var released = BigInteger.Max(0, Amount(current) - cost);
        await connection.ExecuteAsync("UPDATE providers SET cumulative = @released WHERE escrow = @escrow AND provider = @provider",
            new { key.escrow, key.provider, released = Text(released) }, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The cumulative amount signed for <paramref name="provider"/> so far.</summary>
    public async Task<BigInteger> SignedForAsync(Address provider, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var text = await connection.ExecuteScalarAsync<string?>("SELECT cumulative FROM providers WHERE escrow = @escrow AND provider = @provider",
            new { escrow = _escrow, provider = Key(provider) }).ConfigureAwait(false);
        return text is null ? 0 : Amount(text);
    }

    /// <summary>Stores an accepted receipt (wire encoding) under its EIP-712 digest; a repeat is ignored.</summary>
    public async Task RecordReceiptAsync(byte[] digest, Address provider, byte[] sessionId, ulong step, BigInteger cost, byte[] receipt, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "INSERT OR IGNORE INTO receipts (digest, escrow, provider, session_id, step, cost, receipt, received_at) VALUES (@digest, @escrow, @provider, @sessionId, @step, @cost, @receipt, @now)",
            new { digest, escrow = _escrow, provider = Key(provider), sessionId, step = (long)step, cost = Text(cost), receipt, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }).ConfigureAwait(false);
    }

    /// <summary>How many receipts from <paramref name="provider"/> are stored, and the total they cost.</summary>
    public async Task<(long Count, BigInteger Cost)> ReceiptTotalsAsync(Address provider, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var costs = (await connection.QueryAsync<string>("SELECT cost FROM receipts WHERE escrow = @escrow AND provider = @provider",
            new { escrow = _escrow, provider = Key(provider) }).ConfigureAwait(false)).ToList();
        return (costs.Count, costs.Aggregate(BigInteger.Zero, (sum, cost) => sum + Amount(cost)));
    }

    private sealed record ProviderRow(string Cumulative, string Nonce);
}
