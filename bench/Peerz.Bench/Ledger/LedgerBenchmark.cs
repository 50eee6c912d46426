using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Ledger.Payments;
using Peerz.Ledger.Storage;

namespace Peerz.Bench.Ledger;

/// <summary>
/// What the ledgers sustain on this disk: provider charges (voucher accepted and stored), step payloads with
/// receipts (what every response writes), and client receipts — each beside the baseline of one durable
/// single-row INSERT with the same settings (WAL, synchronous=FULL, one transaction per write).
/// </summary>
internal static class LedgerBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        var payloadBytes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16 * 1024;
        var directory = Path.Combine(Path.GetTempPath(), $"peerz-bench-ledger-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var escrow = EthKey.Generate().Address;
            var provider = EthKey.Generate().Address;
            var client = EthKey.Generate();
            var vouchers = Enumerable.Range(1, count + WarmUp).Select(n =>
            {
                var voucher = new Voucher(client.Address, provider, n * 1000, n);
                return (voucher, voucher.Sign(client, 31337, escrow));
            }).ToList();
            var payload = new byte[payloadBytes];
            Random.Shared.NextBytes(payload);

            var baseline = await RateAsync(count, await BaselineAsync(Path.Combine(directory, "baseline.db"), payload));
            var ledger = await ProviderLedger.OpenAsync(Path.Combine(directory, "provider.db"), escrow, CancellationToken.None);
            var charges = await RateAsync(count, async i =>
            {
                if (!(await ledger.ChargeAsync(vouchers[i].voucher, vouchers[i].Item2, 1000, CancellationToken.None)).Accepted) throw new InvalidOperationException("charge refused");
            });
            var session = new byte[32];
            var steps = await RateAsync(count, i => ledger.RecordStepAsync(new StepRecord(session, (ulong)i, payload, payload, new byte[200], DateTimeOffset.UtcNow), CancellationToken.None));
            var clientLedger = await ClientLedger.OpenAsync(Path.Combine(directory, "client.db"), escrow, CancellationToken.None);
            var receipts = await RateAsync(count, i => clientLedger.RecordReceiptAsync(Keccak.Hash(BitConverter.GetBytes(i)), provider, session, (ulong)i, 1000, new byte[200], CancellationToken.None));

            Console.WriteLine($"{count} writes each; payload {payloadBytes} B per direction");
            Console.WriteLine($"baseline: durable 1-row INSERT   {baseline,8:F0} /s");
            Console.WriteLine($"provider: voucher charges        {charges,8:F0} /s ({charges / baseline:F2}x baseline)");
            Console.WriteLine($"provider: step payload + receipt {steps,8:F0} /s ({steps / baseline:F2}x baseline)");
            Console.WriteLine($"client:   receipts               {receipts,8:F0} /s ({receipts / baseline:F2}x baseline)");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<Func<int, Task>> BaselineAsync(string path, byte[] payload)
    {
        var database = await SqliteDatabase.OpenAsync(path, [new Migration(1, "baseline", "CREATE TABLE rows (id INTEGER PRIMARY KEY, data BLOB NOT NULL);")], CancellationToken.None);
        return async i =>
        {
            await using var connection = await database.ConnectAsync(CancellationToken.None);
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync("INSERT INTO rows (data) VALUES (@payload)", new { payload }, transaction);
            await transaction.CommitAsync();
        };
    }

    private const int WarmUp = 50;

    /// <summary>Writes 0..WarmUp-1 untimed, then times WarmUp..WarmUp+count-1 (each index once, in order).</summary>
    private static async Task<double> RateAsync(int count, Func<int, Task> write)
    {
        for (var i = 0; i < WarmUp; i++) await write(i);
        var stopwatch = Stopwatch.StartNew();
        for (var i = WarmUp; i < WarmUp + count; i++) await write(i);
        return count / stopwatch.Elapsed.TotalSeconds;
    }
}
