using System.Numerics;
using Dapper;
using Microsoft.Data.Sqlite;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Ledger.Payments;

namespace Peerz.Ledger.Tests;

/// <summary>The provider ledger's charging rule, persistence, payload retention and indexes, on real SQLite files.</summary>
public sealed class ProviderLedgerTests : IDisposable
{
    private static readonly Address Escrow = EthKey.Generate().Address;
    private static readonly Address Provider = EthKey.Generate().Address;
    private readonly string _directory = TempDirectory.Create("ledger");
    private readonly EthKey _client = EthKey.Generate();

    private string Path => System.IO.Path.Combine(_directory, "provider.db");

    private (Voucher, EthSignature) Voucher(BigInteger cumulative, BigInteger nonce, EthKey? client = null)
    {
        var key = client ?? _client;
        var voucher = new Voucher(key.Address, Provider, cumulative, nonce);
        return (voucher, voucher.Sign(key, 31337, Escrow));
    }

    [Fact]
    public async Task A_voucher_must_cover_everything_charged_so_far_and_carry_a_newer_nonce()
    {
        var ledger = await ProviderLedger.OpenAsync(Path, Escrow, default);
        var (v1, s1) = Voucher(100, 1);
        Assert.True((await ledger.ChargeAsync(v1, s1, 100, default)).Accepted);

        var (short2, shortSig) = Voucher(150, 2);
        var refused = await ledger.ChargeAsync(short2, shortSig, 60, default);
        Assert.False(refused.Accepted);
        Assert.Equal(160, refused.RequiredCumulative);

        var (v2, s2) = Voucher(160, 2);
        Assert.True((await ledger.ChargeAsync(v2, s2, 60, default)).Accepted);
        var (stale, staleSig) = Voucher(1000, 2);
        var staleOutcome = await ledger.ChargeAsync(stale, staleSig, 1, default);
        Assert.False(staleOutcome.Accepted);
        Assert.Contains("nonce", staleOutcome.Reason);

        // A reopened file (a restarted provider) holds the same state: the refused vouchers left no trace.
        var reopened = await ProviderLedger.OpenAsync(Path, Escrow, default);
        var held = await reopened.GetHeldVoucherAsync(_client.Address, Provider, default);
        Assert.NotNull(held);
        Assert.Equal(160, held.Charged);
        Assert.Equal(v2, held.Voucher);
        Assert.Equal(s2, held.Signature);
        Assert.Single(await reopened.GetRedeemableAsync(Provider, default));
    }

    [Fact]
    public async Task Concurrent_charges_from_many_clients_are_all_counted()
    {
        var ledger = await ProviderLedger.OpenAsync(Path, Escrow, default);
        var clients = Enumerable.Range(0, 6).Select(_ => EthKey.Generate()).ToList();
        await Task.WhenAll(clients.Select(client => Task.Run(async () =>
        {
            for (var n = 1; n <= 15; n++)
            {
                var (voucher, signature) = Voucher(7 * n, n, client);
                Assert.True((await ledger.ChargeAsync(voucher, signature, 7, default)).Accepted);
            }
        })));
        foreach (var client in clients)
            Assert.Equal(7 * 15, (await ledger.GetHeldVoucherAsync(client.Address, Provider, default))!.Charged);
    }

    [Fact]
    public async Task A_checked_charge_costs_nothing_until_committed_so_a_refused_request_leaves_no_debt()
    {
        var ledger = await ProviderLedger.OpenAsync(Path, Escrow, default);
        var (v1, s1) = Voucher(100, 1);
        Assert.True((await ledger.ChargeAsync(v1, s1, 100, default)).Accepted);

        // Checked before compute, then the compute failed: nothing is held, and the client, which took its
        // reservation back, signs the same cumulative again with the next nonce; it is accepted.
        var (v2, _) = Voucher(150, 2);
        Assert.True((await ledger.CheckChargeAsync(v2, 50, default)).Accepted);
        Assert.Equal(100, (await ledger.GetHeldVoucherAsync(_client.Address, Provider, default))!.Charged);
        var (v3, s3) = Voucher(150, 3);
        Assert.True((await ledger.ChargeAsync(v3, s3, 50, default)).Accepted);
        Assert.Equal(150, (await ledger.GetHeldVoucherAsync(_client.Address, Provider, default))!.Charged);

        var (stale, _) = Voucher(1000, 3);
        Assert.Contains("nonce", (await ledger.CheckChargeAsync(stale, 1, default)).Reason);
    }

    [Fact]
    public async Task Payloads_come_in_bounded_chunks_and_name_the_paying_client()
    {
        var ledger = await ProviderLedger.OpenAsync(Path, Escrow, default);
        var session = Enumerable.Repeat((byte)1, 32).ToArray();
        for (ulong step = 0; step < 5; step++)
            await ledger.RecordStepAsync(new StepRecord(session, step, new byte[10], new byte[10], new byte[10], DateTimeOffset.UtcNow) { Client = _client.Address }, default);

        Assert.Equal(_client.Address, await ledger.GetSessionClientAsync(session, default));
        Assert.Null(await ledger.GetSessionClientAsync(new byte[32], default));

        // 30 bytes a step, 70 bytes an answer: two steps, then two, then the last one.
        var read = new List<ulong>();
        ulong from = 0;
        while (true)
        {
            var chunk = await ledger.GetStepsAsync(session, from, 4, 70, default);
            Assert.NotNull(chunk);
            Assert.Equal(_client.Address, chunk.Client);
            Assert.InRange(chunk.Steps.Count, 1, 2);
            read.AddRange(chunk.Steps.Select(s => s.Step));
            if (!chunk.More) break;
            from = chunk.Steps[^1].Step + 1;
        }
        Assert.Equal([0UL, 1UL, 2UL, 3UL, 4UL], read);
        Assert.Single((await ledger.GetStepsAsync(session, 0, 4, 1, default))!.Steps); // at least one step, even over the bound
        Assert.Null(await ledger.GetStepsAsync(session, 3, 5, 1 << 20, default)); // step 5 was never answered
    }

    [Fact]
    public async Task Retention_counts_from_a_sessions_last_step_so_a_long_session_stays_whole()
    {
        var ledger = await ProviderLedger.OpenAsync(Path, Escrow, default);
        var (running, finished) = (Enumerable.Repeat((byte)1, 32).ToArray(), Enumerable.Repeat((byte)2, 32).ToArray());
        var old = DateTimeOffset.UtcNow.AddHours(-2);
        for (ulong step = 0; step < 3; step++)
        {
            await ledger.RecordStepAsync(new StepRecord(running, step, [(byte)step], [(byte)(step + 10)], [9], step == 0 ? old : DateTimeOffset.UtcNow), default);
            await ledger.RecordStepAsync(new StepRecord(finished, step, [(byte)step], [(byte)(step + 10)], [9], old), default);
        }

        Assert.Equal(3, await ledger.PruneStepsAsync(DateTimeOffset.UtcNow.AddHours(-1), default));
        var kept = await ledger.GetStepsAsync(running, 0, 2, 1 << 20, default);
        Assert.NotNull(kept); // step 0 is two hours old, but the session's last step is recent
        Assert.Equal([0UL, 1UL, 2UL], kept.Steps.Select(s => s.Step));
        Assert.Null(await ledger.GetStepsAsync(finished, 0, 0, 1 << 20, default));
        Assert.Null(await ledger.GetSessionClientAsync(finished, default));
    }

    [Fact]
    public async Task Reopening_applies_no_migration_twice_and_a_newer_schema_is_refused()
    {
        await ProviderLedger.OpenAsync(Path, Escrow, default);
        await ProviderLedger.OpenAsync(Path, Escrow, default);
        await using var connection = new SqliteConnection($"Data Source={Path}");
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations"));
        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));

        await connection.ExecuteAsync("INSERT INTO schema_migrations (version, description, applied_at) VALUES (99, 'future', 0)");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ProviderLedger.OpenAsync(Path, Escrow, default));
        Assert.Contains("newer", error.Message);
    }

    [Theory]
    [InlineData("SELECT charged FROM clients WHERE escrow = 'e' AND client = 'c'")]
    [InlineData("SELECT * FROM vouchers WHERE escrow = 'e' AND client = 'c' ORDER BY id DESC LIMIT 1")]
    [InlineData("SELECT * FROM steps WHERE session_id = x'00' AND step <= 3 ORDER BY step")]
    [InlineData("DELETE FROM steps WHERE session_id IN (SELECT session_id FROM sessions WHERE last_recorded_at < 5)")]
    [InlineData("SELECT client FROM sessions WHERE session_id = x'00'")]
    [InlineData("SELECT state FROM redemptions WHERE escrow = 'e' AND client = 'c'")]
    public async Task Hot_queries_use_an_index(string query)
    {
        await ProviderLedger.OpenAsync(Path, Escrow, default);
        await using var connection = new SqliteConnection($"Data Source={Path}");
        var plan = string.Join(" | ", (await connection.QueryAsync($"EXPLAIN QUERY PLAN {query}")).Select(row => (string)row.detail));
        Assert.DoesNotContain("SCAN", plan.Replace("SCAN CONSTANT ROW", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        TempDirectory.Delete(_directory);
    }
}
