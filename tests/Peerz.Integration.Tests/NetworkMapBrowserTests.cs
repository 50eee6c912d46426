using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Wallet;
using Peerz.Hosting.Chain;
using Peerz.Model.Tiny;
using Peerz.P2P;
using Peerz.Settlement.Http;
using Peerz.Testing.Chain;
using Peerz.Testing.Processes;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests;

/// <summary>
/// The network map in a real browser against a real network: a Hardhat chain, three staked `peerz-provider` processes
/// covering the tiny model's four blocks ([0,2), [2,3), [3,4)), and `peerz serve` with the chain configured. Chromium
/// (playwright-core, js/network-map.mjs) watches /network; the test kills a provider and the page must draw its span as a
/// gap within a bounded time, without reloading. Stake and jail of /v1/network are checked against the registry read
/// here; then a slash proposed against another provider must draw it jailed. Saves TestResults/network-map.png,
/// network-map-gap.png and network-map-jailed.png. The economics panel test adds `peerz-settle` and saves economics-panel.png.
/// </summary>
[Trait("Category", "Browser")]
public sealed partial class NetworkMapBrowserTests(PeerzDevnet devnet, ITestOutputHelper output) : IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    /// <summary>Survey cache (3 s) + ping bound (2 s) + the page's poll (2 s) + a DHT walk, with room for a loaded machine.</summary>
    private static readonly TimeSpan GapBound = TimeSpan.FromSeconds(20);

    private const string Password = "network map";
    private readonly string _home = TempDirectory.Create("network-map");
    private readonly List<PeerzProcess> _processes = [];
    private string _model = "";
    private string _deployment = "";
    private string _passwordFile = "";

    public async Task InitializeAsync()
    {
        _model = Path.Combine(_home, "tiny");
        TinyCheckpoint.Write(_model, TinyModelFixture.TestShape with { Vocab = 512 });
        _deployment = devnet.WriteDeploymentFile(_home);
        _passwordFile = Path.Combine(_home, "password");
        await File.WriteAllTextAsync(_passwordFile, Password + "\n");
    }

    [ChromiumFact]
    public async Task The_map_shows_every_span_turns_a_killed_providers_span_into_a_gap_and_draws_a_slashed_provider_jailed()
    {
        var (first, firstAddress) = StartProvider(HardhatNode.Accounts[1], "a", "0:2");
        var (second, _) = StartProvider(HardhatNode.Accounts[2], "b", "2:3", "--bootstrap", firstAddress.ToString());
        StartProvider(HardhatNode.Accounts[3], "c", "3:4", "--bootstrap", firstAddress.ToString());
        var (gateway, url) = GatewayProcess.Start(
            "--model", _model, "--model-id", "tiny", "--bootstrap", firstAddress.ToString(), "--url", "http://127.0.0.1:0",
            "--rpc-url", devnet.Endpoint.ToString(), "--deployment", _deployment, "--keystore", WriteKeystore(HardhatNode.Accounts[4], "gateway"),
            "--password-file", _passwordFile, "--ledger", Path.Combine(_home, "gateway-ledger.db"));
        _processes.Add(gateway);

        var screenshots = BrowserPage.ScreenshotDirectory();
        var ready = Path.Combine(_home, "map-ready");
        var script = BrowserPage.Script("network-map.mjs");
        var gapSeen = Path.Combine(_home, "map-gap");
        var run = NodeScript.RunAsync(script, [url, screenshots, ready, "3", "2", "3", gapSeen, "3", ChromiumFactAttribute.ExecutablePath], TimeSpan.FromSeconds(240));

        // The JSON the page draws, checked against the registry read independently here.
        await WaitForAsync(() => File.Exists(ready) || run.IsCompleted, TimeSpan.FromSeconds(90), "the map never showed three online providers");
        if (run.IsCompleted) Assert.Fail((await run).Error + "\n" + gateway.Output);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        using (var json = JsonDocument.Parse(await http.GetStringAsync(url + "/v1/network")))
        {
            var map = json.RootElement.GetProperty("models").EnumerateArray().Single();
            Assert.Equal("tiny", map.GetProperty("id").GetString());
            Assert.Equal(4, map.GetProperty("blocks").GetInt32());
            Assert.Equal([1, 1, 1, 1], map.GetProperty("redundancy").EnumerateArray().Select(r => r.GetInt32()));
            Assert.Empty(map.GetProperty("gaps").EnumerateArray());
            var chainBlock = json.RootElement.GetProperty("chain_block").GetUInt64();
            Assert.True(chainBlock > 0 && chainBlock <= (ulong)await devnet.Rpc.BlockNumberAsync());
            var providers = map.GetProperty("providers").EnumerateArray().ToList();
            Assert.Equal(3, providers.Count);
            foreach (var provider in providers)
            {
                var account = Address.Parse(provider.GetProperty("account").GetString()!);
                var onChain = await devnet.Registry().GetProviderAsync(account);
                Assert.Equal(onChain.Stake.ToString(CultureInfo.InvariantCulture), provider.GetProperty("stake").GetString());
                Assert.Equal(onChain.Jailed, provider.GetProperty("jailed").GetBoolean());
                Assert.Equal(100 * PeerzDevnet.Prz, onChain.Stake);
                Assert.True(provider.GetProperty("latency_ms").GetDouble() >= 0);
                Assert.Equal("online", provider.GetProperty("state").GetString());
            }
            Assert.Equal([HardhatNode.Accounts[1].Address, HardhatNode.Accounts[2].Address, HardhatNode.Accounts[3].Address],
                providers.Select(p => Address.Parse(p.GetProperty("account").GetString()!)));
        }

        second.Kill();
        var killedAt = DateTimeOffset.UtcNow;

        // A verifier (the deployer holds VERIFIER_ROLE) proposes a slash against the [3,4) provider: the registry jails it.
        await WaitForAsync(() => File.Exists(gapSeen) || run.IsCompleted, TimeSpan.FromSeconds(90), "the map never showed the gap");
        if (run.IsCompleted) Assert.Fail((await run).Error + "\n" + gateway.Output);
        var accused = HardhatNode.Accounts[3];
        var receipt = new WorkReceipt(accused.Address, HardhatNode.Accounts[4].Address, RandomNumberGenerator.GetBytes(32), 1, Keccak.Hash("tiny"), 3, 4,
            RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), 1, await devnet.Rpc.BlockTimestampAsync(), 0x02, 1000);
        // Other tests of this class send from the deployer through `peerz` processes: read its nonce from the chain again.
        devnet.ForgetNonces();
        await devnet.Registry(devnet.Deployer).ProposeSlashAsync(receipt, receipt.Sign(accused, devnet.Deployment.ChainId, devnet.Deployment.Registry),
            SlashFault.WrongOutput, Keccak.Hash("recomputed"), Keccak.Hash("evidence"));
        Assert.True((await devnet.Registry().GetProviderAsync(accused.Address)).Jailed);

        var result = await run;
        Assert.True(result.ExitCode == 0, result.Error + "\n" + gateway.Output);
        output.WriteLine($"screenshots: {string.Join(", ", new[] { "network-map.png", "network-map-gap.png", "network-map-jailed.png" }.Select(f => Path.Combine(screenshots, f)))}");
        using var page = JsonDocument.Parse(result.Output);
        Assert.Empty(page.RootElement.GetProperty("consoleErrors").EnumerateArray());
        Assert.Equal(1, page.RootElement.GetProperty("navigations").GetInt32());

        // Before: three spans tiling the strip, each row with the stake read from chain.
        var initial = page.RootElement.GetProperty("initial");
        Assert.Equal([(0, 2), (2, 3), (3, 4)], initial.GetProperty("spans").EnumerateArray().Select(s => (s.GetProperty("start").GetInt32(), s.GetProperty("end").GetInt32())));
        Assert.Empty(initial.GetProperty("gaps").EnumerateArray());
        Assert.All(initial.GetProperty("rows").EnumerateArray(), row =>
        {
            Assert.Equal("100", row.GetProperty("stake").GetString());
            Assert.Equal("no", row.GetProperty("jailed").GetString());
        });
        Assert.StartsWith("chain block ", initial.GetProperty("chain").GetString());

        // After: the killed provider's blocks are a red gap, its span drawn unreachable, within the bound.
        var gapAfter = DateTimeOffset.FromUnixTimeMilliseconds(page.RootElement.GetProperty("gapSeenAt").GetInt64()) - killedAt;
        output.WriteLine($"the gap appeared {gapAfter.TotalSeconds:F1} s after the kill");
        Assert.True(gapAfter < GapBound, $"the gap took {gapAfter.TotalSeconds:F1} s to appear");
        var after = page.RootElement.GetProperty("after");
        Assert.Equal([(2, 3)], after.GetProperty("gaps").EnumerateArray().Select(g => (g.GetProperty("start").GetInt32(), g.GetProperty("end").GetInt32())));
        Assert.Equal([1, 1, 0, 1], after.GetProperty("redundancy").EnumerateArray().Select(r => r.GetInt32()));
        var killedPeer = after.GetProperty("spans").EnumerateArray().Single(s => s.GetProperty("start").GetInt32() == 2);
        Assert.Equal("unreachable", killedPeer.GetProperty("state").GetString());
        Assert.Equal("#d33c3c", after.GetProperty("blockFills")[2].GetString());
        Assert.False(first.HasExited);

        // Then: the slashed provider drawn jailed, its row saying so, and its block a gap too (a jailed provider is not used).
        var jailed = page.RootElement.GetProperty("jailed");
        var accusedSpan = jailed.GetProperty("spans").EnumerateArray().Single(s => s.GetProperty("start").GetInt32() == 3);
        Assert.Equal("#7b4bb3", accusedSpan.GetProperty("fill").GetString());
        var accusedRow = jailed.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("peer").GetString() == accusedSpan.GetProperty("peer").GetString());
        Assert.Equal("yes", accusedRow.GetProperty("jailed").GetString());
        Assert.Equal([1, 1, 0, 0], jailed.GetProperty("redundancy").EnumerateArray().Select(r => r.GetInt32()));
    }

    /// <summary>
    /// The panel follows chain time into the next epoch, and lists the top earners of the epoch `peerz-settle` then settles:
    /// settlement rewards the uptime of one routing peer (a libp2p host here), sampled in this epoch, so that peer's account
    /// is the settled epoch's earner. Its amount is checked against the role total posted on chain and by claiming it with
    /// settlement's proof.
    /// </summary>
    [ChromiumFact]
    public async Task The_economics_panel_follows_the_chain_into_the_next_epoch_and_lists_the_settled_epochs_top_earners()
    {
        await using var routingPeer = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, NullLoggerFactory.Instance);
        await routingPeer.StartAsync(CancellationToken.None);
        var routing = HardhatNode.Accounts[5].Address;
        var rewards = devnet.Rewards();
        var epoch = await rewards.CurrentEpochAsync();
        var length = await rewards.EpochLengthAsync();

        // A pool to share out (on top of any emission), so the routing share is not zero.
        await devnet.Token(devnet.Deployer).ApproveAsync(devnet.Deployment.Rewards, 100 * PeerzDevnet.Prz);
        await devnet.Rewards(devnet.Deployer).FundAsync(100 * PeerzDevnet.Prz);

        // An open DAO proposal for the panel to list (sent before settlement starts: both use the deployer's nonces).
        var governor = new PeerzGovernor(devnet.Rpc, devnet.Deployment.Governor, devnet.Sender(devnet.Deployer));
        var weightsCall = EpochRewards.SetRoleWeightsFunction.EncodeCall([new object?[] { (BigInteger)60, (BigInteger)20, (BigInteger)10, (BigInteger)10 }]);
        var proposed = governor.Events(await governor.ProposeAsync([devnet.Deployment.Rewards], [BigInteger.Zero], [weightsCall], "Routing weight to 10"),
            PeerzGovernor.ProposalCreatedEvent).Single();
        var proposalId = (BigInteger)proposed["proposalId"]!;
        var voteEnd = (BigInteger)proposed["voteEnd"]!;

        var settlementUrl = $"http://127.0.0.1:{HardhatNode.FreePort()}";
        var settlement = PeerzProcess.Start(PeerzProcess.AssemblyPath("ledger/Peerz.Settle", "peerz-settle"),
        [
            "--rpc-url", devnet.Endpoint.ToString(), "--deployment", _deployment, "--keystore", WriteKeystore(devnet.Deployer, "settler"), "--password-file", _passwordFile,
            "--data-dir", Path.Combine(_home, "settlement"), "--listen", settlementUrl, "--model", "tiny=4", "--bootstrap", $"{routing}={routingPeer.ListenAddresses[0]}",
            "--uptime-interval", "1", "--poll-interval", "1", "--close-delay", "0", "--verbose",
        ]);
        _processes.Add(settlement);
        settlement.WaitForLineContaining("API on ", TimeSpan.FromSeconds(60));
        // Samples are recorded one after another: once the second answer is logged, the first is in the store, counted in this epoch.
        await WaitForAsync(() => UptimeAnswer().Count(settlement.Output) >= 2 || settlement.HasExited, TimeSpan.FromSeconds(60), "settlement never sampled the routing peer");
        Assert.False(settlement.HasExited, settlement.Output);

        var (gateway, url) = GatewayProcess.Start(
            "--local", "--model", _model, "--model-id", "tiny", "--url", "http://127.0.0.1:0", "--rpc-url", devnet.Endpoint.ToString(), "--deployment", _deployment,
            "--settlement-url", settlementUrl);
        _processes.Add(gateway);

        var screenshot = BrowserPage.Screenshot("economics-panel.png");
        var ready = Path.Combine(_home, "economics-ready");
        var script = BrowserPage.Script("economics-panel.mjs");
        var run = NodeScript.RunAsync(script, [url, screenshot, ready, (epoch + 1).ToString(CultureInfo.InvariantCulture), epoch.ToString(CultureInfo.InvariantCulture),
            ChromiumFactAttribute.ExecutablePath], TimeSpan.FromSeconds(150));
        await WaitForAsync(() => File.Exists(ready) || run.IsCompleted, TimeSpan.FromSeconds(60), "the economics panel never showed an epoch");
        if (run.IsCompleted) Assert.Fail((await run).Error + "\n" + gateway.Output);

        // One epoch later on the chain's clock; the open page must follow, and settlement closes the epoch that ended.
        await devnet.AdvanceTimeAsync(TimeSpan.FromSeconds(length));
        Assert.Equal(epoch + 1, await rewards.CurrentEpochAsync());
        var result = await run;
        Assert.True(result.ExitCode == 0, result.Error + "\n" + gateway.Output + "\n" + settlement.Output);
        output.WriteLine($"screenshot: {screenshot}");
        using var page = JsonDocument.Parse(result.Output);
        Assert.Empty(page.RootElement.GetProperty("consoleErrors").EnumerateArray());
        Assert.Equal(1, page.RootElement.GetProperty("navigations").GetInt32());
        var before = page.RootElement.GetProperty("before");
        var after = page.RootElement.GetProperty("after");
        Assert.Equal(epoch.ToString(CultureInfo.InvariantCulture), before.GetProperty("epoch").GetString());
        Assert.Equal((epoch + 1).ToString(CultureInfo.InvariantCulture), after.GetProperty("epoch").GetString());

        // The rest of the panel is what the contracts say, read here independently.
        var weights = await rewards.RoleWeightsAtAsync(epoch + 1);
        Assert.Equal($"inference {weights[0]} · training {weights[1]} · verification {weights[2]} · routing {weights[3]}", after.GetProperty("weights").GetString());
        var pool = await rewards.EpochPoolAsync(epoch + 1);
        Assert.Equal($"{pool / PeerzDevnet.Prz} PRZ", after.GetProperty("pool").GetString());
        Assert.StartsWith("0 since block 0: 0 PRZ to providers", after.GetProperty("vouchers").GetString());
        var genesis = await rewards.GenesisTimeAsync();
        var left = genesis + ((ulong)(epoch + 1) * length) + length - await devnet.Rpc.BlockTimestampAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        using var json = JsonDocument.Parse(await http.GetStringAsync(url + "/v1/economics"));
        Assert.InRange(json.RootElement.GetProperty("seconds_left").GetUInt64(), left - 10, left + 10);
        Assert.Equal((ulong)(epoch + 1), json.RootElement.GetProperty("epoch").GetUInt64());

        // The proposal as the panel shows it, with the voting end the chain recorded and a state the governor confirms it had.
        var proposal = after.GetProperty("proposals").GetString()!;
        Assert.Matches($"^“Routing weight to 10” (pending|active), voting ends at block {voteEnd}: 0 PRZ for, 0 against$", proposal);
        Assert.Contains(await governor.StateAsync(proposalId), new[] { ProposalState.Pending, ProposalState.Active });
        Assert.Equal(proposalId.ToString(CultureInfo.InvariantCulture), json.RootElement.GetProperty("proposals")[0].GetProperty("id").GetString());

        // Top earners of the settled epoch: the routing peer's account alone, with the amount the chain holds for the role.
        var earners = page.RootElement.GetProperty("earners");
        Assert.StartsWith($"top earners of epoch {epoch} (last settled", earners.GetProperty("title").GetString());
        var row = Assert.Single(earners.GetProperty("rows").EnumerateArray());
        Assert.Equal(routing, Address.Parse(row.GetProperty("account").GetString()!));
        Assert.Equal("routing", row.GetProperty("role").GetString());
        var last = json.RootElement.GetProperty("last_epoch_earners");
        Assert.Equal((long)epoch, last.GetProperty("epoch").GetInt64());
        var amount = BigInteger.Parse(Assert.Single(last.GetProperty("earners").EnumerateArray()).GetProperty("amount").GetString()!, CultureInfo.InvariantCulture);
        var onChain = await rewards.GetEpochAsync(epoch);
        Assert.True(onChain.Posted);
        Assert.Equal(Hex.Encode(onChain.Root), last.GetProperty("root").GetString());
        Assert.Equal([BigInteger.Zero, BigInteger.Zero, BigInteger.Zero, amount], await rewards.RoleTotalsAsync(epoch));
        Assert.True(amount > 0);

        // Settlement's own proof for that reward verifies on chain: claiming it pays exactly the amount shown.
        using var settlementHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var proof = (await new SettlementClient(settlementHttp, new Uri(settlementUrl + "/")).GetProofAsync((long)epoch, routing)).Parse();
        var (role, claimAmount, path) = Assert.Single(proof.Claims);
        Assert.Equal((RewardRole.Routing, amount), (role, claimAmount));
        var balance = await devnet.Token().BalanceOfAsync(routing);
        // Sent by the routing account itself: the deployer's nonces belong to the running settlement.
        await devnet.Rewards(HardhatNode.Accounts[5]).ClaimAsync(epoch, routing, role, claimAmount, path);
        Assert.Equal(balance + amount, await devnet.Token().BalanceOfAsync(routing));
    }

    /// <summary>
    /// A paid reply on the chat page: two staked providers charge 10^13 wei per token per block, the gateway pays from its
    /// wallet, and the cost the page shows for the reply is what the providers then redeem on chain from the gateway's lanes.
    /// </summary>
    [ChromiumFact]
    public async Task The_chat_page_shows_what_a_reply_cost_as_redeemed_on_chain()
    {
        const string price = "10000000000000";
        var (providerA, providerB, client) = (await devnet.NewFundedAccountAsync(), await devnet.NewFundedAccountAsync(), await devnet.NewFundedAccountAsync());
        // The gateway's wallet pays from its escrow deposit.
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, 10 * PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(10 * PeerzDevnet.Prz);
        var (_, firstAddress) = StartProvider(providerA, "paid-a", "0:2", "--price", price, "--redeem-seconds", "2");
        StartProvider(providerB, "paid-b", "2:4", "--price", price, "--redeem-seconds", "2", "--bootstrap", firstAddress.ToString());
        var (gateway, url) = GatewayProcess.Start(
            "--model", _model, "--model-id", "tiny", "--bootstrap", firstAddress.ToString(), "--url", "http://127.0.0.1:0",
            "--rpc-url", devnet.Endpoint.ToString(), "--deployment", _deployment, "--keystore", WriteKeystore(client, "paying-gateway"),
            "--password-file", _passwordFile, "--ledger", Path.Combine(_home, "paying-gateway-ledger.db"));
        _processes.Add(gateway);

        var screenshot = BrowserPage.Screenshot("chat-paid.png");
        var script = BrowserPage.Script("chat-page.mjs");
        var run = await NodeScript.RunAsync(script, [url, "What does this cost?", screenshot, ChromiumFactAttribute.ExecutablePath], TimeSpan.FromSeconds(120));
        Assert.True(run.ExitCode == 0, run.Error + "\n" + gateway.Output);
        output.WriteLine($"screenshot: {screenshot}");
        using var page = JsonDocument.Parse(run.Output);
        Assert.Empty(page.RootElement.GetProperty("consoleErrors").EnumerateArray());

        // The providers redeem the gateway's latest vouchers every 2 s. What the page counts is what the providers answered;
        // a voucher is signed before its step is answered, so each provider may also hold (and redeem) the voucher of one
        // step the reply no longer needed: at most one token through its 2 blocks.
        var paid = page.RootElement.GetProperty("paid").GetString()!;
        Assert.EndsWith(" PRZ paid so far", paid);
        var shown = PrzAmount.ParseToWei(paid[..paid.IndexOf(' ', StringComparison.Ordinal)], "paid");
        var unansweredStepBound = 2 * 2 * BigInteger.Parse(price, CultureInfo.InvariantCulture);
        var escrow = devnet.Escrow();
        async Task<BigInteger> RedeemedAsync() => await escrow.RedeemedAsync(client.Address, providerA.Address) + await escrow.RedeemedAsync(client.Address, providerB.Address);
        var started = Stopwatch.GetTimestamp();
        var redeemed = await RedeemedAsync();
        while (redeemed < shown && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(500);
            redeemed = await RedeemedAsync();
        }

        output.WriteLine($"the reply cost {paid}; the providers redeemed {PrzAmount.Format(redeemed)} PRZ");
        Assert.True(shown > 0, paid);
        Assert.InRange(redeemed, shown, shown + unansweredStepBound);
        // The first reply's cost is the whole running total.
        Assert.Equal($"{((decimal)shown / 1_000_000_000_000_000_000m).ToString("F6", CultureInfo.InvariantCulture)} PRZ", page.RootElement.GetProperty("cost").GetString());
    }

    private (PeerzProcess Process, Multiaddr Address) StartProvider(EthKey account, string name, string blocks, params string[] extra)
    {
        var (process, address) = ProviderProcess.Start(_model, Path.Combine(_home, name + ".key"), blocks,
        [
            "--rpc-url", devnet.Endpoint.ToString(), "--deployment", _deployment, "--keystore", WriteKeystore(account, name), "--password-file", _passwordFile,
            "--ledger", Path.Combine(_home, name + "-ledger.db"), "--stake", "100", .. extra,
        ]);
        _processes.Add(process);
        return (process, address);
    }

    private string WriteKeystore(EthKey key, string name)
    {
        var path = Path.Combine(_home, name + "-keystore.json");
        File.WriteAllText(path, Keystore.Encrypt(key, Password, KeystoreKdf.LightScrypt));
        return path;
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > timeout) throw new TimeoutException(what);
            await Task.Delay(100);
        }
    }

    public Task DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes)) process.Dispose();
        TempDirectory.Delete(_home);
        return Task.CompletedTask;
    }

    [GeneratedRegex(@"Uptime: \S+ answered in")]
    private static partial Regex UptimeAnswer();
}
