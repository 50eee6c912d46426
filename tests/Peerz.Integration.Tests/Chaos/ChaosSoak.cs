using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Peerz.Chain.Crypto;
using Peerz.Testing.Chain;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Chaos;

/// <summary>
/// Issue 18: the whole network under load and faults. Starts <see cref="ChaosNetwork"/>, runs <see cref="ChaosLoad"/>
/// for <c>duration</c> while a seeded <see cref="FaultSchedule"/> kills and restarts providers, the verifier, settlement
/// and the gateway, then stops everything in order (providers redeem what they hold), lets settlement close every epoch
/// and claims every reward, and checks the invariants from the chain (ethers, js/chain-audit.mjs) and the SQLite
/// ledgers (plain SQL), not from the code under test. Every wait is bounded.
/// </summary>
public static class ChaosSoak
{
    private static readonly string[] Prompts = ["The provider serves", "Chaos is a ladder", "Peerz pays per token"];
    private const int MaxNewTokens = 12;

    /// <summary>
    /// Concurrent users of the paying gateway. One by default: once, with two, both requests stalled for good after
    /// rerouting together (docs/testing.md, "Found by the chaos soak"; not reproduced since, not yet understood);
    /// PEERZ_CHAOS_GATEWAY_USERS=2 runs two.
    /// </summary>
    private static int GatewayUsers => ChaosSoakTests.PositiveSetting("PEERZ_CHAOS_GATEWAY_USERS", 1);

    public static async Task RunAsync(ChaosDevnet devnet, ITestOutputHelper output, TimeSpan duration)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("PEERZ_CHAOS_SEED"), CultureInfo.InvariantCulture, out var fixedSeed) ? fixedSeed : Random.Shared.Next(1, 1_000_000);
        void Say(string line) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
        Say($"chaos seed {seed} (replay: PEERZ_CHAOS_SEED={seed}), load for {duration.TotalSeconds:F0} s");
        var directory = TempDirectory.Create("chaos");
        var wall = Stopwatch.StartNew();
        // Cancelled on every way out, so a failed soak leaves no load loop starting clients against a stopped network.
        using var stop = new CancellationTokenSource();
        try
        {
            EthKey[] honest = [HardhatNode.Accounts[1], HardhatNode.Accounts[2], HardhatNode.Accounts[3], HardhatNode.Accounts[7]];
            var cheaterKey = await devnet.NewFundedAccountAsync();
            var gatewayKey = await devnet.NewFundedAccountAsync();
            EthKey[] clientKeys = [HardhatNode.Accounts[4], await devnet.NewFundedAccountAsync(), await devnet.NewFundedAccountAsync()];
            foreach (var key in clientKeys.Append(gatewayKey))
            {
                await devnet.Token(key).ApproveAsync(devnet.Deployment.Escrow, 50 * PeerzDevnet.Prz);
                await devnet.Escrow(key).DepositAsync(50 * PeerzDevnet.Prz);
            }

            await using var network = await ChaosNetwork.StartAsync(devnet, directory, honest, cheaterKey, gatewayKey);
            Say($"network up in {wall.Elapsed.TotalSeconds:F0} s; logs in {network.Logs}; cheater {cheaterKey.Address} (peer …{network.Cheater.PeerId[^8..]}) serves 2:4, answering {ChaosNetwork.CheatRate:P0} of responses wrong");
            var load = new ChaosLoad(network, Prompts, MaxNewTokens, seed);
            await load.ComputeReferencesAsync();

            var schedule = FaultSchedule.Create(seed, network.Killable.Count, duration);
            var loadClock = Stopwatch.StartNew();
            var clientLedgers = clientKeys.Select((k, i) => (Key: k, Ledger: Path.Combine(directory, $"client-{i + 1}.db"))).ToList();
            var loops = clientLedgers.Select((c, i) => load.RunGenerateClientAsync($"client-{i + 1}", c.Key, c.Ledger, stop.Token))
                .Concat(Enumerable.Range(1, GatewayUsers).Select(i => load.RunGatewayClientAsync($"gateway-user-{i}", stop.Token))).ToList();

            var injected = new List<string>();
            var stops = new Dictionary<string, int>();
            foreach (var fault in schedule)
            {
                var wait = fault.At - loadClock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                if (loadClock.Elapsed >= duration) break;
                var role = network.Killable[fault.Target];
                if (fault.Kill) role.Kill();
                else await role.TerminateAsync(TimeSpan.FromSeconds(30));
                await Task.Delay(fault.Downtime);
                role.Start();
                injected.Add(fault.Describe(network.Killable));
                stops[role.Name] = stops.GetValueOrDefault(role.Name) + 1;
                Say($"fault {injected.Count}: {injected[^1]} — back at {loadClock.Elapsed.TotalSeconds:F0} s");
            }
            var remaining = duration - loadClock.Elapsed;
            if (remaining > TimeSpan.Zero) await Task.Delay(remaining);
            stop.Cancel();
            // A generation under way finishes within its own bound, so the loops must all be done by then.
            await Task.WhenAny(Task.WhenAll(loops), Task.Delay(ChaosLoad.GenerationBound + TimeSpan.FromSeconds(30)));
            Assert.True(loops.All(l => l.IsCompleted), "a load loop did not stop within its bound");
            await Task.WhenAll(loops);
            var loadTime = loadClock.Elapsed;
            Say($"load stopped after {loadTime.TotalSeconds:F0} s");
            ReportLoad(Say, load, injected, loadTime);

            // The cheater is caught by sampled receipts or by probes (every 15 s): wait for the slash, bounded.
            var registry = devnet.Registry();
            for (var clock = Stopwatch.StartNew(); !(await registry.GetProviderAsync(cheaterKey.Address)).Jailed && clock.Elapsed < TimeSpan.FromSeconds(90);)
                await Task.Delay(2000);

            // Orderly end: gateway and verifier first, then providers (SIGTERM: they redeem what they hold on the way
            // out), then `peerz-provider redeem` for anything left; settlement last, once it has closed every epoch.
            await network.Gateway.Role.TerminateAsync(TimeSpan.FromSeconds(30));
            await network.Verifier.TerminateAsync(TimeSpan.FromSeconds(30));
            var providers = network.HonestProviders.Select(p => (p.Role, p.Key, p.Ledger)).Append((network.Cheater.Role, network.Cheater.Key, network.Cheater.Ledger)).ToList();
            await Task.WhenAll(providers.Select(p => p.Role.TerminateAsync(TimeSpan.FromSeconds(60))));
            foreach (var (role, key, ledger) in providers)
            {
                using var redeem = network.Redeem(key, ledger);
                var exit = await redeem.WaitForExitAsync(TimeSpan.FromSeconds(120));
                Assert.True(exit == 0, $"{role.Name}: peerz-provider redeem failed:\n{redeem.Output}");
            }

            // Let every epoch with work end and close: two epochs of chain time, then blocks 5 s of chain time apart (the
            // chain's clock only moves with blocks, and nothing else sends transactions now) until settlement has posted
            // every ended epoch, once the close delay of the last one has passed.
            await devnet.AdvanceTimeAsync(TimeSpan.FromSeconds(2 * ChaosDevnet.EpochSeconds));
            var rewards = devnet.Rewards();
            var current = await rewards.CurrentEpochAsync();
            for (var clock = Stopwatch.StartNew(); await rewards.NextEpochToPostAsync() < current && clock.Elapsed < TimeSpan.FromSeconds(120);)
            {
                await Task.Delay(2000);
                if (await rewards.CurrentEpochAsync() == current) await devnet.AdvanceTimeAsync(TimeSpan.FromSeconds(5));
                if (!network.Settlement.Running) network.Settlement.Start();
            }
            Assert.True(await rewards.NextEpochToPostAsync() >= current, $"settlement did not post every epoch before {current} within 2 minutes");
            await Task.Delay(3000); // the proofs file is written after the root is posted
            await network.Settlement.TerminateAsync(TimeSpan.FromSeconds(30));

            var audit = await AuditChainAsync(devnet, network, clientKeys.Append(gatewayKey), providers.Select(p => p.Key));
            ReportChain(Say, audit, wall.Elapsed);
            ChaosInvariants.Check(audit, load.Outcomes, network, clientLedgers.Append((gatewayKey, network.Gateway.Ledger)).ToList(), providers.Select(p => (p.Key, p.Ledger)).ToList(),
                account => stops.GetValueOrDefault(providers.Single(p => p.Key.Address.ToString().Equals(account, StringComparison.OrdinalIgnoreCase)).Role.Name), Say);
            Say($"all invariants hold; seed {seed}; wall time {wall.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            await stop.CancelAsync();
            Say($"finished after {wall.Elapsed.TotalSeconds:F0} s; seed {seed}");
            if (Environment.GetEnvironmentVariable("PEERZ_CHAOS_KEEP") is null) TempDirectory.Delete(directory);
            else Say($"kept {directory}");
        }
    }

    private static async Task<JsonNode> AuditChainAsync(ChaosDevnet devnet, ChaosNetwork network, IEnumerable<EthKey> clients, IEnumerable<EthKey> providers)
    {
        var script = Path.Combine(RepositoryRoot.Path, "tests", "Peerz.Integration.Tests", "Chaos", "js", "chain-audit.mjs");
        var run = await NodeScript.RunAsync(script,
        [
            devnet.Endpoint.ToString(), Path.Combine(network.Directory, "deployment.json"), Path.Combine(network.SettlementData, "epochs"),
            "0x" + Convert.ToHexString(devnet.Deployer.ExportPrivateKey()), string.Join(',', clients.Select(k => k.Address)), string.Join(',', providers.Select(k => k.Address)),
        ], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, $"chain-audit.mjs failed: {run.Error}");
        return JsonNode.Parse(run.Output)!;
    }

    private static void ReportLoad(Action<string> say, ChaosLoad load, IReadOnlyList<string> faults, TimeSpan loadTime)
    {
        var outcomes = load.Outcomes.ToList();
        var completed = outcomes.Count(o => o.Kind is OutcomeKind.Identical or OutcomeKind.Cheated or OutcomeKind.Differed);
        say($"load: {outcomes.Count} generations in {loadTime.TotalSeconds:F0} s = {outcomes.Count / loadTime.TotalSeconds:F2} requests/s " +
            $"({completed} completed, {completed * MaxNewTokens / loadTime.TotalSeconds:F1} tokens/s); concurrent sessions max {load.MaxConcurrentSessions}, mean {load.MeanConcurrentSessions(loadTime):F1}");
        foreach (var group in outcomes.GroupBy(o => o.Kind).OrderBy(g => g.Key))
            say($"  {group.Key}: {group.Count()} (median {group.Select(o => o.Elapsed.TotalSeconds).Order().ElementAt(group.Count() / 2):F1} s)");
        say($"faults injected and survived: {faults.Count}");
        foreach (var fault in faults) say($"  {fault}");
    }

    private static void ReportChain(Action<string> say, JsonNode audit, TimeSpan wall)
    {
        say($"chain: {audit["redeemed"]!.AsArray().Count} redemptions, {audit["slashProposed"]!.AsArray().Count} slash proposal(s), {audit["epochs"]!.AsArray().Count} epoch(s) posted; wall time {wall.TotalSeconds:F0} s");
        foreach (var epoch in audit["epochs"]!.AsArray())
            say($"  epoch {epoch!["epoch"]}: pool {epoch["pool"]}, total {epoch["total"]}, claimed {epoch["claimed"]}, carried over {epoch["carriedOver"]}");
    }
}
