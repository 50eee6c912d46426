using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Dapper;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Ledger.Storage;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Rewards;

namespace Peerz.Settlement.Storage;

/// <summary>
/// The settlement's SQLite file: contributions (deduplicated by key), the per-epoch close state machine, and the
/// rewards with their proofs. A contribution for an epoch that is already computed is refused inside the same
/// transaction that checks it, so nothing counted after a close can silently go missing.
/// </summary>
public sealed class SettlementStore
{
    private readonly SqliteDatabase _database;

    private SettlementStore(SqliteDatabase database) => _database = database;

    public static async Task<SettlementStore> OpenAsync(string path, CancellationToken cancellationToken) =>
        new(await SqliteDatabase.OpenAsync(path, SettlementMigrations.All, cancellationToken).ConfigureAwait(false));

    public static string Key(Address account) => account.ToString().ToLowerInvariant();

    /// <summary>Records a contribution; false if its key was already recorded.</summary>
    /// <exception cref="IntakeException">409 when the epoch is already closed.</exception>
    public async Task<bool> AddContributionAsync(Contribution contribution, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var closed = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM epochs WHERE epoch = @Epoch;", new { contribution.Epoch }, transaction).ConfigureAwait(false);
        if (closed > 0) throw IntakeException.Conflict($"epoch {contribution.Epoch} is already settled");
        var inserted = await connection.ExecuteAsync(
            "INSERT OR IGNORE INTO contributions (key, epoch, account, role, units, recorded_at) VALUES (@Key, @Epoch, @Account, @Role, @Units, @Now);",
            new { contribution.Key, contribution.Epoch, Account = Key(contribution.Account), Role = (int)contribution.Role, contribution.Units, Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() },
            transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return inserted == 1;
    }

    /// <summary>Whether a receipt with this digest was recorded as inference or training work.</summary>
    public async Task<bool> HasReceiptAsync(byte[] digest, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM contributions WHERE key = @Digest AND role IN (0, 1);", new { Digest = digest }).ConfigureAwait(false) > 0;
    }

    /// <summary>Total units per account and role in <paramref name="epoch"/> (summed by the index on epoch, role, account).</summary>
    public async Task<IReadOnlyList<RoleUnits>> UnitsAsync(long epoch, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<UnitsRow>(
            "SELECT account AS Account, role AS Role, SUM(units) AS Units FROM contributions WHERE epoch = @Epoch GROUP BY role, account;", new { Epoch = epoch }).ConfigureAwait(false);
        return rows.Select(r => new RoleUnits(Address.Parse(r.Account), (ContributionRole)r.Role, r.Units)).ToArray();
    }

    public async Task<EpochRecord?> GetEpochAsync(long epoch, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<EpochRow>("""
            SELECT epoch AS Epoch, state AS State, root AS Root, total AS Total, pool AS Pool, unallocated AS Unallocated, weights AS Weights,
                   role_pools AS RolePools, role_allocated AS RoleAllocated, excluded_providers AS ExcludedProviders, tx_hash AS TxHash
            FROM epochs WHERE epoch = @Epoch;
            """, new { Epoch = epoch }).ConfigureAwait(false);
        return row?.ToRecord();
    }

    /// <summary>Epochs whose close started but did not finish (computed or posted), oldest first.</summary>
    public async Task<IReadOnlyList<long>> UnfinishedEpochsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return [.. await connection.QueryAsync<long>("SELECT epoch FROM epochs WHERE state <> 'published' ORDER BY epoch;").ConfigureAwait(false)];
    }

    /// <summary>How many contributions <paramref name="epoch"/> has (read before its units, to detect late arrivals).</summary>
    public async Task<long> ContributionCountAsync(long epoch, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM contributions WHERE epoch = @Epoch;", new { Epoch = epoch }).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores a computed epoch and all its rewards in one transaction (state 'computed'), unless the epoch no longer
    /// has <paramref name="contributionCount"/> contributions: a report that slipped in while the allocation was
    /// computed must not be lost, so the caller recomputes (false). Transactions are IMMEDIATE, so this check and
    /// the intake's "epoch closed?" check are serialized.
    /// </summary>
    public async Task<bool> SaveComputedAsync(EpochRecord record, IEnumerable<RewardRecord> rewards, long contributionCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(rewards);
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            """
            INSERT INTO epochs (epoch, state, root, total, pool, unallocated, weights, role_pools, role_allocated, excluded_providers, tx_hash, updated_at)
            VALUES (@Epoch, 'computed', @Root, @Total, @Pool, @Unallocated, @Weights, @RolePools, @RoleAllocated, @Excluded, NULL, @Now);
            """,
            new
            {
                record.Epoch,
                record.Root,
                Total = Text(record.Total),
                Pool = Text(record.Pool),
                Unallocated = Text(record.Unallocated),
                Weights = Json(record.Weights),
                RolePools = Json(record.RolePools),
                RoleAllocated = Json(record.RoleAllocated),
                Excluded = JsonSerializer.Serialize(record.ExcludedProviders),
                Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            },
            transaction).ConfigureAwait(false);
        var count = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM contributions WHERE epoch = @Epoch;", new { record.Epoch }, transaction).ConfigureAwait(false);
        if (count != contributionCount)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }

        await connection.ExecuteAsync(
            "INSERT INTO rewards (epoch, account, amount, proof) VALUES (@Epoch, @Account, @Amount, @Proof);",
            rewards.Select(r => new { record.Epoch, r.Account, Amount = Text(r.Amount), Proof = JsonSerializer.Serialize(r.Proof) }),
            transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public Task MarkPostedAsync(long epoch, byte[]? transactionHash, CancellationToken cancellationToken) =>
        SetStateAsync(epoch, "posted", transactionHash, cancellationToken);

    public Task MarkPublishedAsync(long epoch, CancellationToken cancellationToken) =>
        SetStateAsync(epoch, "published", null, cancellationToken);

    /// <summary>Back to 'computed' after a postRoot that did not land, so the close sends it again.</summary>
    public Task MarkComputedAsync(long epoch, CancellationToken cancellationToken) =>
        SetStateAsync(epoch, "computed", null, cancellationToken);

    public async Task<IReadOnlyList<RewardRecord>> RewardsAsync(long epoch, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<RewardRow>(
            "SELECT account AS Account, amount AS Amount, proof AS Proof FROM rewards WHERE epoch = @Epoch ORDER BY account;", new { Epoch = epoch }).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToArray();
    }

    public async Task<RewardRecord?> RewardAsync(long epoch, Address account, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<RewardRow>(
            "SELECT account AS Account, amount AS Amount, proof AS Proof FROM rewards WHERE epoch = @Epoch AND account = @Account;", new { Epoch = epoch, Account = Key(account) }).ConfigureAwait(false);
        return row?.ToRecord();
    }

    private async Task SetStateAsync(long epoch, string state, byte[]? transactionHash, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var changed = await connection.ExecuteAsync(
            "UPDATE epochs SET state = @State, tx_hash = COALESCE(@Hash, tx_hash), updated_at = @Now WHERE epoch = @Epoch;",
            new { Epoch = epoch, State = state, Hash = transactionHash, Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() }).ConfigureAwait(false);
        if (changed != 1) throw new InvalidOperationException($"epoch {epoch} is not in the store");
    }

    private static string Text(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Json(IEnumerable<BigInteger> values) => JsonSerializer.Serialize(values.Select(Text));

    private static BigInteger[] ParseList(string json) => JsonSerializer.Deserialize<string[]>(json)!.Select(v => BigInteger.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    private sealed record EpochRow(long Epoch, string State, byte[] Root, string Total, string Pool, string Unallocated, string Weights, string RolePools, string RoleAllocated, string ExcludedProviders, byte[]? TxHash)
    {
        public EpochRecord ToRecord() => new(
            Epoch,
            Enum.Parse<EpochState>(State, ignoreCase: true),
            Root,
            BigInteger.Parse(Total, CultureInfo.InvariantCulture),
            BigInteger.Parse(Pool, CultureInfo.InvariantCulture),
            BigInteger.Parse(Unallocated, CultureInfo.InvariantCulture),
            ParseList(Weights),
            ParseList(RolePools),
            ParseList(RoleAllocated),
            JsonSerializer.Deserialize<string[]>(ExcludedProviders)!,
            TxHash);
    }

    // A class with setters: SQLite reports no column type for SUM(...) over zero rows, which defeats constructor mapping.
    private sealed class UnitsRow
    {
        public string Account { get; set; } = "";

        public long Role { get; set; }

        public long Units { get; set; }
    }

    private sealed record RewardRow(string Account, string Amount, string Proof)
    {
        public RewardRecord ToRecord() => new(Account, BigInteger.Parse(Amount, CultureInfo.InvariantCulture), JsonSerializer.Deserialize<string[]>(Proof)!);
    }

    /// <summary>Hex of a proof element, as the JSON files and the HTTP API carry it.</summary>
    public static string HexOf(byte[] node) => Hex.Encode(node);
}
