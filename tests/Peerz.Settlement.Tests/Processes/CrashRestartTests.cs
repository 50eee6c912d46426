using System.Globalization;
using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Http;
using Peerz.Settlement.Rewards;
using Peerz.Settlement.Storage;
using Peerz.Settlement.Tests.Support;
using Peerz.Testing;
using Peerz.Testing.Chain;
using Peerz.Testing.Storage;

namespace Peerz.Settlement.Tests.Processes;

/// <summary>
/// Kills a real peerz-settle between sending postRoot and recording it, restarts it, and claims with the real peerz CLI;
/// once on the default SQLite store and once on a PostgreSQL store (--store postgres://…).
/// </summary>
[Collection(ProcessDevnetCollection.Name)]
[Trait("Category", "Chain")]
public sealed class CrashRestartTests(ProcessDevnet devnet, PostgresServer postgres) : IDisposable
{
    private readonly string _data = TempDirectory.Create("settle-crash");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose()
    {
        _http.Dispose();
        TempDirectory.Delete(_data);
    }

    [SkippableTheory]
    [InlineData("SQLite")]
    [InlineData("PostgreSQL")]
    public async Task A_crash_right_after_postRoot_neither_posts_twice_nor_loses_contributions(string engine)
    {
        Skip.If(engine == "PostgreSQL" && postgres.SkipReason is not null, postgres.SkipReason);
        var storeLocation = engine == "PostgreSQL" ? postgres.CreateDatabase() : Path.Combine(_data, "settlement.db");
        // Fresh accounts, so each engine's run starts alike; earlier runs' processes sent from the deployer, so its nonce is read anew.
        devnet.ForgetNonces();
        var (a, signerA) = await devnet.NewProviderAsync();
        var (b, signerB) = await devnet.NewProviderAsync();
        var payer = await devnet.NewFundedAccountAsync();
        var url = new Uri($"http://127.0.0.1:{HardhatNode.FreePort()}/");
        string[] arguments = [.. devnet.ChainArguments(devnet.Deployer), .. ProcessDevnet.SettleArguments, "--data-dir", _data, "--store", storeLocation, "--listen", url.ToString(), "--poll-interval", "1"];

        long epoch;
        await using (var first = await SettleProcess.StartAsync(arguments))
        {
            // Let the process settle whatever ended before this test, so the crash hits the epoch we report to.
            await devnet.AdvanceEpochAsync();
            await WaitUntilAsync(async () => await devnet.Rewards().NextEpochToPostAsync() == await devnet.Rewards().CurrentEpochAsync(), first);
        }

        await using (var crashing = await SettleProcess.StartAsync(arguments, new Dictionary<string, string> { ["PEERZ_SETTLE_CRASH_AFTER_POST"] = "1" }))
        {
            var client = new SettlementClient(_http, url);
            var ra = await devnet.ReceiptAsync(a.Address, payer.Address, 0x01, 30, 0, 2, 60 * PeerzDevnet.Prz); // 60 PRZ paid for inference
            var rb = await devnet.ReceiptAsync(b.Address, payer.Address, 0x01, 10, 2, 4, 20 * PeerzDevnet.Prz); // 20 PRZ
            await devnet.PayAsync(payer, a, 60 * PeerzDevnet.Prz);
            await devnet.PayAsync(payer, b, 20 * PeerzDevnet.Prz);
            epoch = (await client.ReportReceiptAsync(ra, devnet.Sign(ra, signerA))).Epoch;
            Assert.Equal(epoch, (await client.ReportReceiptAsync(rb, devnet.Sign(rb, signerB))).Epoch);

            await devnet.AdvanceEpochAsync();
            var exit = await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, exit);
        }

        // The post landed on chain, but the store never recorded it: exactly the window the restart must handle.
        var posted = await devnet.Rewards().GetEpochAsync(epoch);
        Assert.True(posted.Posted);
        await using var store = await SettlementStore.OpenAsync(storeLocation, CancellationToken.None);
        var crashed = (await store.GetEpochAsync(epoch, CancellationToken.None))!;
        Assert.Equal(EpochState.Computed, crashed.State);
        Assert.Null(crashed.TransactionHash);

        var nonceBeforeRestart = await devnet.Rpc.GetTransactionCountAsync(devnet.Deployer.Address);
        await using var restarted = await SettleProcess.StartAsync(arguments);
        await WaitUntilAsync(async () => (await store.GetEpochAsync(epoch, CancellationToken.None))!.State == EpochState.Published, restarted);

        // No second postRoot: the settler sent no transaction at all after the restart, and one RootPosted exists for the epoch.
        Assert.Equal(nonceBeforeRestart, await devnet.Rpc.GetTransactionCountAsync(devnet.Deployer.Address));
        var rootPosted = (await devnet.Rpc.GetLogsAsync(devnet.Deployment.Rewards, EpochRewards.RootPostedEvent.Topic, 0))
            .Select(l => EpochRewards.RootPostedEvent.DecodeLog(l.Topics, l.Data))
            .Count(e => (BigInteger)e["epoch"]! == epoch);
        Assert.Equal(1, rootPosted);
        var record = (await store.GetEpochAsync(epoch, CancellationToken.None))!;
        Assert.Equal(posted.Root, record.Root);
        Assert.NotNull(record.TransactionHash);

        // No lost contributions: both providers are paid their share of the inference pool; A with the proof file, B over HTTP,
        // once the root's challenge period is over: before, `peerz claim` says when claims open.
        var proofsFile = Path.Combine(_data, "epochs", EpochProofsFile.FileName(epoch));
        var inferencePool = record.RolePools[0];
        var beforeA = await devnet.Token().BalanceOfAsync(a.Address);
        var beforeB = await devnet.Token().BalanceOfAsync(b.Address);
        var early = await devnet.PeerzAsync(["claim", "--epoch", epoch.ToString(CultureInfo.InvariantCulture), "--proofs", proofsFile, .. devnet.ChainArguments(a)]);
        Assert.Equal(1, early.ExitCode);
        Assert.Contains("not open yet", early.Error, StringComparison.Ordinal);
        Assert.Equal(beforeA, await devnet.Token().BalanceOfAsync(a.Address));
        await devnet.AdvanceToAsync(await devnet.Rewards().ClaimsOpenAtAsync(epoch));
        var claimA = await devnet.PeerzAsync(["claim", "--epoch", epoch.ToString(CultureInfo.InvariantCulture), "--proofs", proofsFile, .. devnet.ChainArguments(a)]);
        Assert.True(claimA.ExitCode == 0, claimA.ToString());
        var claimB = await devnet.PeerzAsync(["claim", "--proofs", url.ToString(), .. devnet.ChainArguments(b)]);
        Assert.True(claimB.ExitCode == 0, claimB.ToString());
        Assert.Equal(beforeA + await devnet.FeeCappedAsync(inferencePool * 60 / 80, 60 * PeerzDevnet.Prz), await devnet.Token().BalanceOfAsync(a.Address));
        Assert.Equal(beforeB + await devnet.FeeCappedAsync(inferencePool * 20 / 80, 20 * PeerzDevnet.Prz), await devnet.Token().BalanceOfAsync(b.Address));

        var again = await devnet.PeerzAsync(["claim", "--proofs", url.ToString(), .. devnet.ChainArguments(b)]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already claimed", again.Error, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, SettleProcess process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            Assert.False(process.HasExited, "peerz-settle exited:\n" + process.Output);
            await Task.Delay(200, timeout.Token);
        }
    }
}
