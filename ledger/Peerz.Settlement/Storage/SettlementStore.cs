using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Dapper;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Epochs;
using Peerz.Settlement.Rewards;

namespace Peerz.Settlement.Storage;

/// <summary>
/// The settlement's database (a SQLite file by default, or PostgreSQL: <see cref="StoreLocation"/>): accepted
/// receipts (deduplicated by digest), verification and uptime contributions (deduplicated by key), the per-epoch
/// close state machine, the rewards with their proofs, and what each epoch credited per (provider, client) pair. A contribution for an epoch that is already computed is refused inside the same
/// transaction that checks it, so nothing counted after a close can silently go missing.
/// </summary>
public sealed class SettlementStore : IAsyncDisposable
{
    private readonly SettlementDatabase _database;

    private SettlementStore(SettlementDatabase database) => _database = database;

    /// <summary>Opens the store at <paramref name="location"/>: a SQLite file path, or a postgres:// URL (<see cref="StoreLocation"/>).</summary>
    public static async Task<SettlementStore> OpenAsync(string location, CancellationToken cancellationToken) =>
        new(await SettlementDatabase.OpenAsync(location, cancellationToken).ConfigureAwait(false));

    public static string Key(Address account) => account.ToString().ToLowerInvariant();

    /// <summary>Records a verification or uptime contribution; false if its key was already recorded.</summary>
    /// <exception cref="IntakeException">409 when the epoch is already closed.</exception>
    public Task<bool> AddContributionAsync(Contribution contribution, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        return InsertUnlessClosedAsync(
            contribution.Epoch,
            "INSERT INTO contributions (key, epoch, account, role, units, recorded_at) VALUES (@Key, @Epoch, @Account, @Role, @Units, @Now) ON CONFLICT DO NOTHING;",
            new { contribution.Key, contribution.Epoch, Account = Key(contribution.Account), Role = (int)contribution.Role, contribution.Units, Now = Now() },
            cancellationToken);
    }

    /// <summary>Records an accepted receipt; false if a receipt with its digest was already recorded.</summary>
    /// <exception cref="IntakeException">409 when the epoch is already closed.</exception>
    public Task<bool> AddReceiptAsync(PaidReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return InsertUnlessClosedAsync(
            receipt.Epoch,
            "INSERT INTO receipts (digest, epoch, provider, client, role, amount, recorded_at) VALUES (@Digest, @Epoch, @Provider, @Client, @Role, @Amount, @Now) ON CONFLICT DO NOTHING;",
            new { receipt.Digest, receipt.Epoch, Provider = Key(receipt.Provider), Client = Key(receipt.Client), Role = (int)receipt.Role, Amount = Text(receipt.Amount), Now = Now() },
            cancellationToken);
    }

    /// <summary>Whether a receipt with this digest was accepted as inference or training work.</summary>
    public async Task<bool> HasReceiptAsync(byte[] digest, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM receipts WHERE digest = @Digest;", new { Digest = digest }).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// Verification and routing units per account in <paramref name="epoch"/>. Summed here in BigInteger, row by
    /// row: SQL SUM over 64-bit integers could overflow and then fail every close of the epoch (and, since roots post
    /// in order, of every later one).
    /// </summary>
    public async Task<IReadOnlyList<RoleUnits>> UnitsAsync(long epoch, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var sums = new Dictionary<(string Account, long Role), BigInteger>();
        var rows = await connection.QueryAsync<(string Account, long Role, long Units)>(
            "SELECT account, role, units FROM contributions WHERE epoch = @Epoch AND role IN (2, 3);", new { Epoch = epoch }).ConfigureAwait(false);
        foreach (var (account, role, units) in rows) sums[(account, role)] = sums.GetValueOrDefault((account, role)) + units;
        return [.. sums.Select(kv => new RoleUnits(Address.Parse(kv.Key.Account), (RewardRole)kv.Key.Role, kv.Value))];
    }

    /// <summary>What <paramref name="epoch"/>'s receipts claim per (provider, client, role), summed in BigInteger.</summary>
    public async Task<IReadOnlyList<PairWork>> PairWorkAsync(long epoch, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var sums = new Dictionary<(string Provider, string Client, long Role), BigInteger>();
        var rows = await connection.QueryAsync<(string Provider, string Client, long Role, string Amount)>(
            "SELECT provider, client, role, amount FROM receipts WHERE epoch = @Epoch;", new { Epoch = epoch }).ConfigureAwait(false);
        foreach (var (provider, client, role, amount) in rows) sums[(provider, client, role)] = sums.GetValueOrDefault((provider, client, role)) + Parse(amount);
        return [.. sums.Select(kv => new PairWork(Address.Parse(kv.Key.Provider), Address.Parse(kv.Key.Client), (RewardRole)kv.Key.Role, kv.Value))];
    }

    /// <summary>What epochs before <paramref name="epoch"/> credited to the pair (redemption and fee), which its cumulative redemption and fee no longer back.</summary>
    public async Task<PairBacking> CreditedBeforeAsync(Address provider, Address client, long epoch, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string Credited, string FeeCredited)>(
            "SELECT credited, fee_credited FROM pair_credits WHERE provider = @Provider AND client = @Client AND epoch < @Epoch;",
            new { Provider = Key(provider), Client = Key(client), Epoch = epoch }).ConfigureAwait(false);
        return rows.Aggregate(PairBacking.None, (sum, row) => new PairBacking(sum.Redeemed + Parse(row.Credited), sum.Fees + Parse(row.FeeCredited)));
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

    /// <summary>How many contributions and receipts <paramref name="epoch"/> has (read before its work, to detect late arrivals).</summary>
    public async Task<long> ContributionCountAsync(long epoch, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(CountSql, new { Epoch = epoch }).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores a computed epoch, all its rewards and its pair credits in one transaction (state 'computed'), unless the epoch no longer
    /// has <paramref name="contributionCount"/> contributions: a report that slipped in while the allocation was
    /// computed must not be lost, so the caller recomputes (false). Both run in write transactions
    /// (<see cref="SettlementDatabase.BeginWriteAsync"/>), so this check and the intake's "epoch closed?" check are serialized.
    /// </summary>
    public async Task<bool> SaveComputedAsync(EpochRecord record, IEnumerable<RewardRecord> rewards, IEnumerable<PairCredit> credits, long contributionCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(credits);
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await _database.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
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
        var count = await connection.ExecuteScalarAsync<long>(CountSql, new { record.Epoch }, transaction).ConfigureAwait(false);
        if (count != contributionCount)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }

        await connection.ExecuteAsync(
            "INSERT INTO rewards (epoch, account, role, amount, proof) VALUES (@Epoch, @Account, @Role, @Amount, @Proof);",
            rewards.Select(r => new { record.Epoch, r.Account, Role = (int)r.Role, Amount = Text(r.Amount), Proof = JsonSerializer.Serialize(r.Proof) }),
            transaction).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "INSERT INTO pair_credits (provider, client, epoch, claimed, credited, fee_credited) VALUES (@Provider, @Client, @Epoch, @Claimed, @Credited, @FeeCredited);",
            credits.Select(c => new { Provider = Key(c.Provider), Client = Key(c.Client), record.Epoch, Claimed = Text(c.Claimed), Credited = Text(c.Credited), FeeCredited = Text(c.FeeCredited) }),
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
            "SELECT account AS Account, role AS Role, amount AS Amount, proof AS Proof FROM rewards WHERE epoch = @Epoch ORDER BY account, role;", new { Epoch = epoch }).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToArray();
    }

    /// <summary>The account's rewards in <paramref name="epoch"/>, one per role it earned in (empty when none).</summary>
    public async Task<IReadOnlyList<RewardRecord>> RewardsOfAsync(long epoch, Address account, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<RewardRow>(
            "SELECT account AS Account, role AS Role, amount AS Amount, proof AS Proof FROM rewards WHERE epoch = @Epoch AND account = @Account ORDER BY role;",
            new { Epoch = epoch, Account = Key(account) }).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToArray();
    }

    /// <summary>The newest epoch whose close finished (root posted, proofs published), or null when none has.</summary>
    public async Task<EpochRecord?> LastPublishedEpochAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var epoch = await connection.ExecuteScalarAsync<long?>("SELECT MAX(epoch) FROM epochs WHERE state = 'published';").ConfigureAwait(false);
        return epoch is null ? null : await GetEpochAsync(epoch.Value, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The <paramref name="count"/> largest rewards of <paramref name="epoch"/>, largest first (ties by account and role).
    /// Amounts are decimal text without leading zeros, so ordering by length, then text, is ordering by value, in SQL and bounded.
    /// </summary>
    public async Task<IReadOnlyList<RewardRecord>> TopRewardsAsync(long epoch, int count, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<RewardRow>(
            "SELECT account AS Account, role AS Role, amount AS Amount, proof AS Proof FROM rewards WHERE epoch = @Epoch ORDER BY length(amount) DESC, amount DESC, account, role LIMIT @Count;",
            new { Epoch = epoch, Count = count }).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToArray();
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    private async Task<bool> InsertUnlessClosedAsync(long epoch, string insertSql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await _database.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        var closed = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM epochs WHERE epoch = @Epoch;", new { Epoch = epoch }, transaction).ConfigureAwait(false);
        if (closed > 0) throw IntakeException.Conflict($"epoch {epoch} is already settled");
        var inserted = await connection.ExecuteAsync(insertSql, parameters, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return inserted == 1;
    }

    private async Task SetStateAsync(long epoch, string state, byte[]? transactionHash, CancellationToken cancellationToken)
    {
        await using var connection = await _database.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var changed = await connection.ExecuteAsync(
            "UPDATE epochs SET state = @State, tx_hash = COALESCE(@Hash, tx_hash), updated_at = @Now WHERE epoch = @Epoch;",
            new { Epoch = epoch, State = state, Hash = transactionHash, Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() }).ConfigureAwait(false);
        if (changed != 1) throw new InvalidOperationException($"epoch {epoch} is not in the store");
    }

    private const string CountSql = "SELECT (SELECT COUNT(*) FROM contributions WHERE epoch = @Epoch) + (SELECT COUNT(*) FROM receipts WHERE epoch = @Epoch);";

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static string Text(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    private static BigInteger Parse(string value) => BigInteger.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);

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

    private sealed record RewardRow(string Account, long Role, string Amount, string Proof)
    {
        public RewardRecord ToRecord() => new(Account, (RewardRole)Role, Parse(Amount), JsonSerializer.Deserialize<string[]>(Proof)!);
    }

}
