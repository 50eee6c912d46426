using System.Numerics;
using Dapper;
using Microsoft.Data.Sqlite;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Ledger.Storage;
using static Peerz.Ledger.Storage.DbValues;

namespace Peerz.Ledger.Payments;

/// <summary>
/// The provider's SQLite ledger for one escrow contract. A charge and the voucher paying it commit together,
/// so a crash loses no voucher the provider computed for; redemptions are journaled before they are sent and
/// reconciled with the chain afterwards (<see cref="VoucherRedeemer"/>), so none is paid twice.
/// </summary>
public sealed class ProviderLedger
{
    private readonly SqliteDatabase _database;
    private readonly string _escrow;

    private ProviderLedger(SqliteDatabase database, Address escrow)
    {
        _database = database;
        _escrow = Key(escrow);
    }

    public static async Task<ProviderLedger> OpenAsync(string path, Address escrow, CancellationToken cancellationToken) =>
        new(await SqliteDatabase.OpenAsync(path, ProviderLedgerSchema.Migrations, cancellationToken).ConfigureAwait(false), escrow);

    /// <summary>
    /// Whether <see cref="ChargeAsync"/> would accept this voucher for <paramref name="cost"/> now, without charging:
    /// the provider checks before it computes and charges only once the work is done, so refused or failed work
    /// leaves no charge behind (the client takes its reservation back when refused).
    /// </summary>
    public async Task<ChargeOutcome> CheckChargeAsync(Voucher voucher, BigInteger cost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(voucher);
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return Evaluate(await ReadClientAsync(connection, null, voucher.Client).ConfigureAwait(false), voucher, cost);
    }

    /// <summary>
    /// Charges <paramref name="cost"/> to the voucher's client if the voucher covers everything charged so far plus
    /// this cost and its nonce is newer than the best voucher held; the voucher then becomes the one to redeem.
    /// The signature, the provider field and the escrow lane are the caller's to check first.
    /// </summary>
    public async Task<ChargeOutcome> ChargeAsync(Voucher voucher, EthSignature signature, BigInteger cost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(voucher);
        ArgumentNullException.ThrowIfNull(signature);
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var outcome = Evaluate(await ReadClientAsync(connection, transaction, voucher.Client).ConfigureAwait(false), voucher, cost);
        if (!outcome.Accepted) return outcome;

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(
            """
            INSERT INTO clients (escrow, client, charged, best_cumulative, best_nonce, best_signature) VALUES (@escrow, @client, @charged, @cumulative, @nonce, @signature)
            ON CONFLICT (escrow, client) DO UPDATE SET charged = excluded.charged, best_cumulative = excluded.best_cumulative, best_nonce = excluded.best_nonce, best_signature = excluded.best_signature;
            INSERT INTO vouchers (escrow, client, cumulative, nonce, cost, signature, received_at) VALUES (@escrow, @client, @cumulative, @nonce, @cost, @signature, @now);
            """,
            new
            {
                escrow = _escrow,
                client = Key(voucher.Client),
                charged = Text(outcome.RequiredCumulative),
                cumulative = Text(voucher.CumulativeAmount),
                nonce = Text(voucher.Nonce),
                cost = Text(cost),
                signature = signature.ToBytes(),
                now,
            },
            transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    private static ChargeOutcome Evaluate(ClientRow? row, Voucher voucher, BigInteger cost)
    {
        if (cost < 0) throw new ArgumentOutOfRangeException(nameof(cost));
        var required = (row is null ? BigInteger.Zero : Amount(row.Charged)) + cost;
        if (row is not null && voucher.Nonce <= Amount(row.BestNonce))
            return new ChargeOutcome(false, required, $"voucher nonce {voucher.Nonce} is not above the last accepted nonce {row.BestNonce}");
        if (voucher.CumulativeAmount < required)
            return new ChargeOutcome(false, required, $"voucher covers {voucher.CumulativeAmount} wei in total, but {required} wei is owed with this request");
        return new ChargeOutcome(true, required);
    }

    private Task<ClientRow?> ReadClientAsync(SqliteConnection connection, System.Data.IDbTransaction? transaction, Address client) =>
        connection.QuerySingleOrDefaultAsync<ClientRow>(
            "SELECT charged, best_cumulative AS BestCumulative, best_nonce AS BestNonce FROM clients WHERE escrow = @escrow AND client = @client",
            new { escrow = _escrow, client = Key(client) }, transaction);

    /// <summary>The best voucher held from <paramref name="client"/>, or null if none.</summary>
    public async Task<HeldVoucher?> GetHeldVoucherAsync(Address client, Address provider, CancellationToken cancellationToken) =>
        (await QueryHeldAsync("AND client = @client", new { escrow = _escrow, client = Key(client) }, provider, cancellationToken).ConfigureAwait(false)).SingleOrDefault();

    /// <summary>Every client's best voucher whose amount is not yet redeemed in full.</summary>
    public async Task<IReadOnlyList<HeldVoucher>> GetRedeemableAsync(Address provider, CancellationToken cancellationToken) =>
        (await QueryHeldAsync("", new { escrow = _escrow }, provider, cancellationToken).ConfigureAwait(false))
            .Where(held => held.Voucher.Nonce > held.RedeemedNonce).ToList();

    /// <summary>Journals a redemption about to be sent; returns its id.</summary>
    public async Task<long> BeginRedemptionAsync(Voucher voucher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(voucher);
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return await connection.ExecuteScalarAsync<long>(
            "INSERT INTO redemptions (escrow, client, cumulative, nonce, state, created_at, updated_at) VALUES (@escrow, @client, @cumulative, @nonce, 'sending', @now, @now) RETURNING id",
            new { escrow = _escrow, client = Key(voucher.Client), cumulative = Text(voucher.CumulativeAmount), nonce = Text(voucher.Nonce), now }).ConfigureAwait(false);
    }

    /// <summary>Records that the chain holds the client's redemption up to (<paramref name="cumulative"/>, <paramref name="nonce"/>), closing open journal rows.</summary>
    public async Task RecordRedeemedAsync(Address client, BigInteger cumulative, BigInteger nonce, string? transactionHash, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var parameters = new { escrow = _escrow, client = Key(client), cumulative = Text(cumulative), nonce = Text(nonce), tx = transactionHash, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        await connection.ExecuteAsync(
            """
            UPDATE clients SET redeemed_cumulative = @cumulative, redeemed_nonce = @nonce WHERE escrow = @escrow AND client = @client;
            UPDATE redemptions SET state = 'confirmed', tx_hash = COALESCE(@tx, tx_hash), updated_at = @now WHERE escrow = @escrow AND client = @client AND state = 'sending';
            """,
            parameters, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the open redemption of <paramref name="client"/> as failed (the voucher stays held for a later attempt).</summary>
    public async Task RecordRedemptionFailedAsync(Address client, string detail, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "UPDATE redemptions SET state = 'failed', detail = @detail, updated_at = @now WHERE escrow = @escrow AND client = @client AND state = 'sending'",
            new { escrow = _escrow, client = Key(client), detail, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }).ConfigureAwait(false);
    }

    /// <summary>How many redemptions were journaled for <paramref name="client"/>, by state (for operators and tests).</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountRedemptionsAsync(Address client, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string State, long Count)>(
            "SELECT state, COUNT(*) FROM redemptions WHERE escrow = @escrow AND client = @client GROUP BY state",
            new { escrow = _escrow, client = Key(client) }).ConfigureAwait(false);
        return rows.ToDictionary(r => r.State, r => r.Count);
    }

    /// <summary>Keeps one step's payload and marks its session as active now (retention counts from a session's last step).</summary>
    public async Task RecordStepAsync(StepRecord step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            """
            INSERT OR REPLACE INTO steps (session_id, step, input, output, receipt, recorded_at) VALUES (@SessionId, @Step, @Input, @Output, @Receipt, @At);
            INSERT INTO sessions (session_id, client, last_recorded_at) VALUES (@SessionId, @Client, @At)
            ON CONFLICT (session_id) DO UPDATE SET last_recorded_at = MAX(last_recorded_at, excluded.last_recorded_at);
            """,
            new { step.SessionId, Step = (long)step.Step, step.Input, step.Output, step.Receipt, At = step.RecordedAt.ToUnixTimeMilliseconds(), Client = Key(step.Client) },
            transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The client that paid for a held session (zero for free work), or null when the session is not held.</summary>
    public async Task<Address?> GetSessionClientAsync(byte[] sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var client = await connection.ExecuteScalarAsync<string?>("SELECT client FROM sessions WHERE session_id = @sessionId", new { sessionId }).ConfigureAwait(false);
        return client is null ? null : Address.Parse(client);
    }

    /// <summary>
    /// Steps <paramref name="fromStep"/>..<paramref name="upToStep"/> of a session, in order, as many as fit in
    /// <paramref name="maxBytes"/> (at least one); null if any of them is not held.
    /// </summary>
    public async Task<PayloadChunk?> GetStepsAsync(byte[] sessionId, ulong fromStep, ulong upToStep, long maxBytes, CancellationToken cancellationToken)
    {
        if (fromStep > upToStep) return null;
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var range = new { sessionId, fromStep = (long)fromStep, upToStep = (long)upToStep };
        var client = await connection.ExecuteScalarAsync<string?>("SELECT client FROM sessions WHERE session_id = @sessionId", range).ConfigureAwait(false);
        var sizes = (await connection.QueryAsync<(long Step, long Size)>(
            "SELECT step, length(input) + length(output) + length(receipt) FROM steps WHERE session_id = @sessionId AND step BETWEEN @fromStep AND @upToStep ORDER BY step",
            range).ConfigureAwait(false)).ToList();
        if (client is null || (ulong)sizes.Count != upToStep - fromStep + 1) return null;
        var count = 1;
        for (var total = sizes[0].Size; count < sizes.Count && total + sizes[count].Size <= maxBytes; count++) total += sizes[count].Size;
        var last = sizes[count - 1].Step;
        var rows = await connection.QueryAsync<StepRow>(
            "SELECT session_id AS SessionId, step AS Step, input AS Input, output AS Output, receipt AS Receipt, recorded_at AS RecordedAt FROM steps WHERE session_id = @sessionId AND step BETWEEN @fromStep AND @last ORDER BY step",
            new { sessionId, range.fromStep, last }).ConfigureAwait(false);
        var owner = Address.Parse(client);
        var steps = rows.Select(r => new StepRecord(r.SessionId, (ulong)r.Step, r.Input, r.Output, r.Receipt, DateTimeOffset.FromUnixTimeMilliseconds(r.RecordedAt)) { Client = owner }).ToList();
        return new PayloadChunk(owner, steps, (ulong)last < upToStep);
    }

    /// <summary>Deletes the payloads of sessions whose last step was recorded before <paramref name="before"/> (the retention window); returns how many steps.</summary>
    public async Task<int> PruneStepsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var parameters = new { before = before.ToUnixTimeMilliseconds() };
        var removed = await connection.ExecuteAsync(
            "DELETE FROM steps WHERE session_id IN (SELECT session_id FROM sessions WHERE last_recorded_at < @before)", parameters, transaction).ConfigureAwait(false);
        await connection.ExecuteAsync("DELETE FROM sessions WHERE last_recorded_at < @before", parameters, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return removed;
    }

    private async Task<IEnumerable<HeldVoucher>> QueryHeldAsync(string filter, object parameters, Address provider, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<HeldRow>(
            $"SELECT client AS Client, charged AS Charged, best_cumulative AS BestCumulative, best_nonce AS BestNonce, best_signature AS BestSignature, redeemed_cumulative AS RedeemedCumulative, redeemed_nonce AS RedeemedNonce FROM clients WHERE escrow = @escrow {filter}",
            parameters).ConfigureAwait(false);
        return rows.Select(r => new HeldVoucher(
            new Voucher(Address.Parse(r.Client), provider, Amount(r.BestCumulative), Amount(r.BestNonce)),
            EthSignature.FromBytes(r.BestSignature),
            Amount(r.Charged),
            Amount(r.RedeemedCumulative),
            Amount(r.RedeemedNonce)));
    }

    private sealed record ClientRow(string Charged, string BestCumulative, string BestNonce);

    private sealed record HeldRow(string Client, string Charged, string BestCumulative, string BestNonce, byte[] BestSignature, string RedeemedCumulative, string RedeemedNonce);

    private sealed record StepRow(byte[] SessionId, long Step, byte[] Input, byte[] Output, byte[] Receipt, long RecordedAt);
}
