using System.Globalization;
using System.Numerics;
using Microsoft.Data.Sqlite;

namespace Peerz.Integration.Tests.Chaos;

/// <summary>
/// Reads the SQLite ledgers the processes wrote with plain SQL (not the ledger classes under test). Amounts are uint256
/// stored as decimal text and summed here as <see cref="BigInteger"/>. Addresses are compared lower-case.
/// </summary>
public static class LedgerAudit
{
    /// <summary>Per provider: the cumulative amount the client signed in its vouchers (client ledger, table providers).</summary>
    public static IReadOnlyDictionary<string, BigInteger> SignedByClient(string clientLedger) =>
        Query(clientLedger, "SELECT provider, cumulative FROM providers")
            .GroupBy(r => r[0].ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Select(r => BigInteger.Parse(r[1], CultureInfo.InvariantCulture)).Max());

    /// <summary>Per provider: the sum of the costs stated in the receipts the client accepted (client ledger, table receipts).</summary>
    public static IReadOnlyDictionary<string, BigInteger> ReceiptsHeldByClient(string clientLedger) =>
        Query(clientLedger, "SELECT provider, cost FROM receipts")
            .GroupBy(r => r[0].ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Aggregate(BigInteger.Zero, (s, r) => s + BigInteger.Parse(r[1], CultureInfo.InvariantCulture)));

    /// <summary>How many receipts the client holds from <paramref name="provider"/> (0 when the ledger does not exist yet).</summary>
    public static int ReceiptCount(string clientLedger, string provider) =>
        File.Exists(clientLedger)
            ? Query(clientLedger, "SELECT COUNT(*) FROM receipts WHERE lower(provider) = $p", ("$p", provider.ToLowerInvariant())).Select(r => int.Parse(r[0], CultureInfo.InvariantCulture)).Single()
            : 0;

    /// <summary>Per client: (charged, best voucher held, redeemed) in the provider's ledger (table clients).</summary>
    public static IReadOnlyDictionary<string, (BigInteger Charged, BigInteger Best, BigInteger Redeemed)> HeldByProvider(string providerLedger) =>
        Query(providerLedger, "SELECT client, charged, best_cumulative, redeemed_cumulative FROM clients")
            .ToDictionary(r => r[0].ToLowerInvariant(), r => (Parse(r[1]), Parse(r[2]), Parse(r[3])));

    /// <summary>Per client: the cost of the largest single request the provider accepted a voucher for (table vouchers, the audit trail).</summary>
    public static IReadOnlyDictionary<string, BigInteger> LargestVoucherCosts(string providerLedger) =>
        Query(providerLedger, "SELECT client, cost FROM vouchers")
            .GroupBy(r => r[0].ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Select(r => Parse(r[1])).Max());

    /// <summary>Settlement's closed epochs: (epoch, total, pool, unallocated) from its store (table epochs).</summary>
    public static IReadOnlyList<(long Epoch, string State, BigInteger Total, BigInteger Pool, BigInteger Unallocated)> SettledEpochs(string settlementDatabase) =>
        Query(settlementDatabase, "SELECT epoch, state, total, pool, unallocated FROM epochs ORDER BY epoch")
            .Select(r => (long.Parse(r[0], CultureInfo.InvariantCulture), r[1], Parse(r[2]), Parse(r[3]), Parse(r[4]))).ToList();

    private static BigInteger Parse(string value) => BigInteger.Parse(value, CultureInfo.InvariantCulture);

    private static List<string[]> Query(string database, string sql, params (string Name, object Value)[] parameters)
    {
        // Read-only and unpooled: the audit must never hold a file a restarted process wants, nor write to it.
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var rows = new List<string[]>();
        while (reader.Read())
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "").ToArray());
        return rows;
    }
}
