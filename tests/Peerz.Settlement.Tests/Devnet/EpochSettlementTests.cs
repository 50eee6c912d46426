using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rpc;
using Peerz.P2P;
using Peerz.Settlement.Http;
using Peerz.Settlement.Rewards;
using Peerz.Settlement.Storage;
using Peerz.Settlement.Tests.Support;
using Peerz.Testing;
using Peerz.Testing.Chain;

namespace Peerz.Settlement.Tests.Devnet;

/// <summary>Settlement against Hardhat's node: real signed receipts over HTTP, real payments, a real libp2p ping peer, real postRoot and claims.</summary>
[Collection(SettlementDevnetCollection.Name)]
[Trait("Category", "Chain")]
public sealed class EpochSettlementTests(SettlementDevnet devnet) : IAsyncLifetime
{
    private static readonly BigInteger Prz = PeerzDevnet.Prz;
    private readonly string _directory = TempDirectory.Create("settle");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _http.Dispose();
        TempDirectory.Delete(_directory);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Closing_an_epoch_posts_role_tagged_leaves_and_role_totals_and_every_account_claims_each_role_once()
    {
        await using var bootstrap = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, NullLoggerFactory.Instance);
        await bootstrap.StartAsync(CancellationToken.None);
        var routing = HardhatNode.Accounts[5].Address;
        var chain = await devnet.SettlementChainAsync();
        // A second configured peer is down (nothing listens on its port): its account earns nothing.
        var down = new Uptime.BootstrapPeer(HardhatNode.Accounts[7].Address, Multiaddr.Parse($"/ip4/127.0.0.1/tcp/{HardhatNode.FreePort()}/p2p/{Identity.Generate().PeerId}"));
        var options = new SettlementOptions
        {
            DataDirectory = _directory,
            Listen = new Uri("http://127.0.0.1:0"),
            Models = SettlementDevnet.Models,
            CloseDelay = TimeSpan.Zero,
            BootstrapPeers = [new Uptime.BootstrapPeer(routing, bootstrap.ListenAddresses[0]), down],
        };
        await using var service = await SettlementService.StartAsync(chain, options, NullLoggerFactory.Instance, null, CancellationToken.None);
        var client = new SettlementClient(_http, service.Address);
        await FreshEpochAsync(service);

        var (a, signerA) = await devnet.NewProviderAsync();
        var (b, signerB) = await devnet.NewProviderAsync();
        var payer = await devnet.NewFundedAccountAsync();
        var receiptsA = new List<WorkReceipt>();
        for (var i = 0; i < 3; i++) receiptsA.Add(await devnet.ReceiptAsync(a.Address, payer.Address, 0x01, 10, 0, 4, 40 * Prz)); // 120 PRZ of inference
        var inferenceB = await devnet.ReceiptAsync(b.Address, payer.Address, 0x01, 5, 4, 8, 20 * Prz);                                 // 20 PRZ of inference
        var forwardB = await devnet.ReceiptAsync(b.Address, payer.Address, 0x02, 8, 0, 2, 16 * Prz);                                   // 32 PRZ of training
        var backwardB = await devnet.ReceiptAsync(b.Address, payer.Address, 0x03, 8, 0, 2, 16 * Prz);
        await devnet.PayAsync(payer, a, 120 * Prz);
        await devnet.PayAsync(payer, b, 52 * Prz);

        var results = new List<Peerz.Settlement.Contributions.ReportResult>();
        foreach (var r in receiptsA) results.Add(await client.ReportReceiptAsync(r, devnet.Sign(r, signerA)));
        foreach (var r in new[] { inferenceB, forwardB, backwardB }) results.Add(await client.ReportReceiptAsync(r, devnet.Sign(r, signerB)));
        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal(["inference", "inference", "inference", "inference", "training", "training"], results.Select(r => r.Role));
        Assert.Equal((40 * Prz).ToString(CultureInfo.InvariantCulture), results[0].Units);
        var epoch = results[0].Epoch;
        Assert.All(results, r => Assert.Equal(epoch, r.Epoch));

        // Reporting the same receipt again (client and provider both report it) counts once.
        Assert.True((await client.ReportReceiptAsync(receiptsA[0], devnet.Sign(receiptsA[0], signerA))).Duplicate);

        // The deployer holds VERIFIER_ROLE: two verified receipts = two verification units; a repeat counts once.
        var now = await devnet.Rpc.BlockTimestampAsync();
        var digestA = receiptsA[0].Digest(devnet.Deployment.ChainId, devnet.Deployment.Registry);
        var digestB = inferenceB.Digest(devnet.Deployment.ChainId, devnet.Deployment.Registry);
        Assert.False((await client.ReportVerificationAsync(devnet.Deployer, digestA, now, devnet.Deployment)).Duplicate);
        Assert.False((await client.ReportVerificationAsync(devnet.Deployer, digestB, now, devnet.Deployment)).Duplicate);
        Assert.True((await client.ReportVerificationAsync(devnet.Deployer, digestB, now, devnet.Deployment)).Duplicate);

        // One uptime round: the live bootstrap peer answers the libp2p ping, the dead one does not.
        Assert.Equal(1, await service.SampleUptimeAsync(CancellationToken.None));

        await devnet.AdvanceEpochAsync();
        Assert.Contains(epoch, await service.CloseDueEpochsAsync(CancellationToken.None));

        var rewards = devnet.Rewards();
        var onChain = await rewards.GetEpochAsync(epoch);
        Assert.True(onChain.Posted);
        var weights = await rewards.RoleWeightsAtAsync(epoch);
        var sum = weights.Aggregate(BigInteger.Zero, (x, y) => x + y);
        var r0 = onChain.Pool * weights[0] / sum;
        var r1 = onChain.Pool * weights[1] / sum;
        var r2 = onChain.Pool * weights[2] / sum;
        var r3 = onChain.Pool * weights[3] / sum;
        // Paid work earns its pro rata share, capped at half the protocol fee it paid (each pair was paid in one redemption).
        var inferenceA = await devnet.FeeCappedAsync(r0 * 120 / 140, 120 * Prz); // 120 of 140 PRZ paid for inference
        var inferenceBAmount = await devnet.FeeCappedAsync(r0 * 20 / 140, 20 * Prz); // 20 of 140
        var trainingB = await devnet.FeeCappedAsync(r1, 32 * Prz);               // all 32 PRZ paid for training
        var expected = new Dictionary<RewardLeaf, BigInteger>
        {
            [new(a.Address, RewardRole.Inference)] = inferenceA,
            [new(b.Address, RewardRole.Inference)] = inferenceBAmount,
            [new(b.Address, RewardRole.Training)] = trainingB,
            [new(devnet.Deployer.Address, RewardRole.Verification)] = r2, // both verification units
            [new(routing, RewardRole.Routing)] = r3,                    // the only uptime sample
        };

        // Root and role totals as an independent implementation (ethers, OpenZeppelin's tree layout) computes them from the expected leaves.
        var reference = await ReferenceTreeAsync(expected);
        Assert.Equal(reference["root"]!.GetValue<string>(), Hex.Encode(onChain.Root));
        Assert.Equal([inferenceA + inferenceBAmount, trainingB, r2, r3], await rewards.RoleTotalsAsync(epoch));

        // The dashboards' read (GET /v1/epochs/last/earners): the largest rewards first, exactly the leaves the posted root was checked against above.
        var earners = await client.GetLastEarnersAsync(3);
        Assert.Equal(epoch, earners.Epoch);
        Assert.Equal(Hex.Encode(onChain.Root), earners.Root);
        Assert.Equal(onChain.Total.ToString(CultureInfo.InvariantCulture), earners.Total);
        var largest = expected.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Account.ToString().ToLowerInvariant(), StringComparer.Ordinal).ThenBy(kv => kv.Key.Role).Take(3);
        Assert.Equal(largest.Select(kv => (kv.Key.Account.ToString().ToLowerInvariant(), RoleClaim.NameOf(kv.Key.Role), kv.Value.ToString(CultureInfo.InvariantCulture))),
            earners.Earners.Select(e => (e.Account, e.Role, e.Amount)));

        // A wrong amount (one wei more), or a's inference amount claimed as training, does not verify against the root.
        var proofA = (await client.GetProofAsync(epoch, a.Address)).Parse();
        Assert.Single(proofA.Claims);
        var (roleA, amountA, pathA) = proofA.Claims[0];
        Assert.Equal(RewardRole.Inference, roleA);
        var wrong = await Assert.ThrowsAsync<ContractRevertException>(() => devnet.Rewards(devnet.Deployer).ClaimAsync(epoch, a.Address, RewardRole.Inference, amountA + 1, pathA));
        Assert.Contains("InvalidProof", wrong.Message, StringComparison.Ordinal);
        var otherRole = await Assert.ThrowsAsync<ContractRevertException>(() => devnet.Rewards(devnet.Deployer).ClaimAsync(epoch, a.Address, RewardRole.Training, amountA, pathA));
        Assert.Contains("InvalidProof", otherRole.Message, StringComparison.Ordinal);

        var claimed = BigInteger.Zero;
        foreach (var account in expected.Keys.Select(l => l.Account).Distinct())
        {
            var proof = (await client.GetProofAsync(epoch, account)).Parse();
            Assert.Equal(expected.Where(kv => kv.Key.Account == account).Select(kv => (kv.Key.Role, kv.Value)).OrderBy(x => x.Role), proof.Claims.Select(c => (c.Role, c.Amount)));
            var before = await devnet.Token().BalanceOfAsync(account);
            foreach (var (role, amount, path) in proof.Claims)
            {
                Assert.Equal(reference["proofs"]![$"{account.ToString().ToLowerInvariant()}:{(int)role}"]!.AsArray().Select(n => n!.GetValue<string>()), path.Select(p => Hex.Encode(p)));
                await devnet.Rewards(devnet.Deployer).ClaimAsync(epoch, account, role, amount, path);
                Assert.True(await rewards.IsClaimedAsync(epoch, account, role));
                claimed += amount;
            }

            Assert.Equal(before + proof.Claims.Aggregate(BigInteger.Zero, (s, c) => s + c.Amount), await devnet.Token().BalanceOfAsync(account));
        }

        var after = await rewards.GetEpochAsync(epoch);
        var file = await EpochProofsFile.ReadAsync(service.Closer.ProofsPath(epoch), CancellationToken.None);
        Assert.Equal(onChain.Total, claimed);
        Assert.Equal(claimed, after.Claimed);
        Assert.Equal(onChain.Pool, claimed + BigInteger.Parse(file.Unallocated, CultureInfo.InvariantCulture));
        Assert.Equal(4, file.Claims.Count);
        Assert.Equal(2, file.ProofOf(b.Address.ToString())!.Claims.Count);
        Assert.Null(file.ProofOf(down.Account.ToString()));

        // Claiming twice fails on chain.
        var twice = await Assert.ThrowsAsync<ContractRevertException>(() => devnet.Rewards(devnet.Deployer).ClaimAsync(epoch, a.Address, roleA, amountA, pathA));
        Assert.Contains("AlreadyClaimed", twice.Message, StringComparison.Ordinal);

        // Re-running the settled epoch changes nothing: same record, same file, nothing sent.
        var fileBytes = await File.ReadAllBytesAsync(service.Closer.ProofsPath(epoch));
        var nonce = await devnet.Rpc.GetTransactionCountAsync(devnet.Deployer.Address);
        var again = await service.Closer.CloseAsync(epoch, CancellationToken.None);
        Assert.Equal(EpochState.Published, again.State);
        Assert.Equal(onChain.Root, again.Root);
        Assert.Equal(fileBytes, await File.ReadAllBytesAsync(service.Closer.ProofsPath(epoch)));
        Assert.Equal(nonce, await devnet.Rpc.GetTransactionCountAsync(devnet.Deployer.Address));

        // A receipt of the closed epoch is refused.
        var late = await devnet.ReceiptAsync(a.Address, payer.Address, 0x01, 1, 0, 1, Prz, timestamp: chain.Clock.Start(epoch) + 1);
        var refused = await Assert.ThrowsAsync<SettlementException>(() => client.ReportReceiptAsync(late, devnet.Sign(late, signerA)));
        Assert.Equal(409, refused.StatusCode);
    }

    [Fact]
    public async Task Self_made_receipts_are_never_credited()
    {
        await using var service = await StartAsync();
        var client = new SettlementClient(_http, service.Address);
        await FreshEpochAsync(service);
        var (cheat, cheatSigner) = await devnet.NewProviderAsync();
        var (honest, honestSigner) = await devnet.NewProviderAsync();
        var payer = await devnet.NewFundedAccountAsync();

        // Issue 22 #1's attack: 10 receipts the provider made up, for an unknown model, blocks [0, 65536) and 2^24 − 1 tokens.
        const uint MaxTokens = (1u << 24) - 1;
        for (var i = 0; i < 10; i++)
        {
            var madeUp = await devnet.ReceiptAsync(cheat.Address, payer.Address, 0x01, MaxTokens, 0, 65536, BigInteger.Pow(10, 24), modelId: RandomModelId());
            var refused = await Assert.ThrowsAsync<SettlementException>(() => client.ReportReceiptAsync(madeUp, devnet.Sign(madeUp, cheatSigner)));
            Assert.Equal(422, refused.StatusCode);
        }

        // The same for the configured model: blocks past its 8 layers are refused too.
        var pastLayers = await devnet.ReceiptAsync(cheat.Address, payer.Address, 0x01, MaxTokens, 0, 65536, Prz);
        Assert.Equal(422, (await Assert.ThrowsAsync<SettlementException>(() => client.ReportReceiptAsync(pastLayers, devnet.Sign(pastLayers, cheatSigner)))).StatusCode);

        // Well-formed but never paid: 10 receipts naming a client that redeemed nothing to the cheat are taken, and credited 0.
        var epoch = 0L;
        for (var i = 0; i < 10; i++)
        {
            var unpaid = await devnet.ReceiptAsync(cheat.Address, EthKey.Generate().Address, 0x01, MaxTokens, 0, SettlementDevnet.ModelLayers, BigInteger.Pow(10, 24));
            epoch = (await client.ReportReceiptAsync(unpaid, devnet.Sign(unpaid, cheatSigner))).Epoch;
        }

        var paid = await devnet.ReceiptAsync(honest.Address, payer.Address, 0x01, 3, 0, 2, Prz);
        await devnet.PayAsync(payer, honest, Prz);
        Assert.Equal(epoch, (await client.ReportReceiptAsync(paid, devnet.Sign(paid, honestSigner))).Epoch);

        await devnet.AdvanceEpochAsync();
        await service.CloseDueEpochsAsync(CancellationToken.None);

        var record = (await service.Store.GetEpochAsync(epoch, CancellationToken.None))!;
        Assert.Equal(404, (await Assert.ThrowsAsync<SettlementException>(() => client.GetProofAsync(epoch, cheat.Address))).StatusCode);
        var honestClaim = Assert.Single((await client.GetProofAsync(epoch, honest.Address)).Parse().Claims);
        Assert.Equal(await devnet.FeeCappedAsync(record.RolePools[0], Prz), honestClaim.Amount);
    }

    [Fact]
    public async Task Free_work_earns_nothing_and_claims_beyond_redemptions_get_at_most_what_was_redeemed()
    {
        await using var service = await StartAsync();
        var client = new SettlementClient(_http, service.Address);
        await FreshEpochAsync(service);
        var (greedy, greedySigner) = await devnet.NewProviderAsync();
        var (fair, fairSigner) = await devnet.NewProviderAsync();
        var payer = await devnet.NewFundedAccountAsync();
        var sybil = await devnet.NewFundedAccountAsync();

        // Price 0 through a sybil client (or no client at all): real work, but nobody paid for it.
        var free = await devnet.ReceiptAsync(greedy.Address, sybil.Address, 0x01, 1000, 0, 8, BigInteger.Zero);
        Assert.Equal(422, (await Assert.ThrowsAsync<SettlementException>(() => client.ReportReceiptAsync(free, devnet.Sign(free, greedySigner)))).StatusCode);
        var anonymous = await devnet.ReceiptAsync(greedy.Address, Address.Zero, 0x01, 1000, 0, 8, Prz);
        Assert.Equal(422, (await Assert.ThrowsAsync<SettlementException>(() => client.ReportReceiptAsync(anonymous, devnet.Sign(anonymous, greedySigner)))).StatusCode);

        // greedy's receipts claim 10 PRZ from the payer, who redeemed only 4 to it; fair claims and redeemed 4.
        var claims = new List<WorkReceipt>();
        for (var i = 0; i < 5; i++) claims.Add(await devnet.ReceiptAsync(greedy.Address, payer.Address, 0x01, 10, 0, 8, 2 * Prz));
        var epoch = 0L;
        foreach (var r in claims) epoch = (await client.ReportReceiptAsync(r, devnet.Sign(r, greedySigner))).Epoch;
        var fairReceipt = await devnet.ReceiptAsync(fair.Address, payer.Address, 0x01, 10, 0, 8, 4 * Prz);
        await client.ReportReceiptAsync(fairReceipt, devnet.Sign(fairReceipt, fairSigner));
        await devnet.PayAsync(payer, greedy, 4 * Prz);
        await devnet.PayAsync(payer, fair, 4 * Prz);

        await devnet.AdvanceEpochAsync();
        await service.CloseDueEpochsAsync(CancellationToken.None);
        var pool = (await service.Store.GetEpochAsync(epoch, CancellationToken.None))!.RolePools[0];
        var half = await devnet.FeeCappedAsync(pool / 2, 4 * Prz);
        Assert.Equal(half, Assert.Single((await client.GetProofAsync(epoch, greedy.Address)).Parse().Claims).Amount);
        Assert.Equal(half, Assert.Single((await client.GetProofAsync(epoch, fair.Address)).Parse().Claims).Amount);

        // The next epoch: greedy's redemption is used up by what the last epoch credited, so new unpaid claims earn nothing.
        var more = await devnet.ReceiptAsync(greedy.Address, payer.Address, 0x01, 10, 0, 8, 2 * Prz);
        var next = (await client.ReportReceiptAsync(more, devnet.Sign(more, greedySigner))).Epoch;
        var fairMore = await devnet.ReceiptAsync(fair.Address, payer.Address, 0x01, 10, 0, 8, Prz);
        await client.ReportReceiptAsync(fairMore, devnet.Sign(fairMore, fairSigner));
        await devnet.PayAsync(payer, fair, Prz);
        await devnet.AdvanceEpochAsync();
        await service.CloseDueEpochsAsync(CancellationToken.None);
        Assert.Equal(404, (await Assert.ThrowsAsync<SettlementException>(() => client.GetProofAsync(next, greedy.Address))).StatusCode);
        var nextPool = (await service.Store.GetEpochAsync(next, CancellationToken.None))!.RolePools[0];
        Assert.Equal(await devnet.FeeCappedAsync(nextPool, Prz), Assert.Single((await client.GetProofAsync(next, fair.Address)).Parse().Claims).Amount);
    }

    [Fact]
    public async Task Paying_oneself_to_farm_rewards_loses_money_at_the_default_parameters()
    {
        await using var service = await StartAsync();
        var client = new SettlementClient(_http, service.Address);
        await FreshEpochAsync(service);

        // One person controls a staked provider and a client; an honest provider serves a real client on the side.
        var (farmer, farmerSigner) = await devnet.NewProviderAsync();
        var farmerClient = await devnet.NewFundedAccountAsync();
        var (honest, honestSigner) = await devnet.NewProviderAsync();
        var customer = await devnet.NewFundedAccountAsync();
        async Task<BigInteger> HoldingsAsync() =>
            await devnet.Token().BalanceOfAsync(farmer.Address) + await devnet.Token().BalanceOfAsync(farmerClient.Address) + await devnet.Escrow().BalanceOfAsync(farmerClient.Address);
        var before = await HoldingsAsync();

        // The farmer cycles 1,000 PRZ in 10 rounds (each a deposit, a lane, a voucher redeemed by its own provider, its
        // receipts reported), against 10 PRZ of honest demand.
        var cycled = BigInteger.Zero;
        var epoch = 0L;
        for (var round = 0; round < 10; round++)
        {
            var receipt = await devnet.ReceiptAsync(farmer.Address, farmerClient.Address, 0x01, 1000, 0, SettlementDevnet.ModelLayers, 100 * Prz);
            epoch = (await client.ReportReceiptAsync(receipt, devnet.Sign(receipt, farmerSigner))).Epoch;
            await devnet.PayAsync(farmerClient, farmer, 100 * Prz);
            cycled += 100 * Prz;
        }

        var honestReceipt = await devnet.ReceiptAsync(honest.Address, customer.Address, 0x01, 10, 0, SettlementDevnet.ModelLayers, 10 * Prz);
        Assert.Equal(epoch, (await client.ReportReceiptAsync(honestReceipt, devnet.Sign(honestReceipt, honestSigner))).Epoch);
        await devnet.PayAsync(customer, honest, 10 * Prz);

        await devnet.AdvanceEpochAsync();
        await service.CloseDueEpochsAsync(CancellationToken.None);
        var record = (await service.Store.GetEpochAsync(epoch, CancellationToken.None))!;
        var farmed = Assert.Single((await client.GetProofAsync(epoch, farmer.Address)).Parse().Claims);
        await devnet.Rewards(devnet.Deployer).ClaimAsync(epoch, farmer.Address, farmed.Role, farmed.Amount, farmed.Proof);
        var after = await HoldingsAsync();

        // Without the fee rule this was a winning bet: the pro rata share of the inference pool exceeds everything the
        // fee took, so the attack is real at these parameters.
        var fees = await devnet.Escrow().FeesPaidAsync(farmerClient.Address, farmer.Address);
        Assert.Equal(await devnet.FeeOfAsync(100 * Prz) * 10, fees);
        Assert.True(record.RolePools[0] * cycled / (cycled + (10 * Prz)) > fees, "the uncapped share must beat the fee for this test to mean anything");
        // With it the farmer earns at most half the fee back and ends with less PRZ than it started with (gas not even counted).
        Assert.Equal(fees / 2, farmed.Amount);
        Assert.Equal(before - fees + farmed.Amount, after);
        Assert.True(after < before);
        // The honest provider is still paid a reward for real, paid work.
        Assert.Equal(await devnet.FeeOfAsync(10 * Prz) / 2, Assert.Single((await client.GetProofAsync(epoch, honest.Address)).Parse().Claims).Amount);
    }

    [Fact]
    public async Task Providers_pending_slash_jailed_unstaked_or_below_minimum_earn_nothing_for_the_epoch()
    {
        await using var service = await StartAsync();
        var client = new SettlementClient(_http, service.Address);
        await FreshEpochAsync(service);
        var payer = await devnet.NewFundedAccountAsync();
        var honest = await devnet.NewProviderAsync();
        var accused = await devnet.NewProviderAsync();  // slash proposed, still pending at close
        var cleared = await devnet.NewProviderAsync();  // slash proposed and withdrawn before close
        var unstaked = await devnet.NewProviderAsync(); // unbonds everything
        var below = await devnet.NewProviderAsync();    // unbonds below the minimum stake
        var epoch = 0L;
        var receipts = new Dictionary<Address, WorkReceipt>();
        foreach (var (provider, signer) in new[] { honest, accused, cleared, unstaked, below })
        {
            var receipt = await devnet.ReceiptAsync(provider.Address, payer.Address, 0x01, 10, 0, 8, Prz);
            receipts[provider.Address] = receipt;
            epoch = (await client.ReportReceiptAsync(receipt, devnet.Sign(receipt, signer))).Epoch;
            await devnet.PayAsync(payer, provider, Prz);
        }

        var verifier = devnet.Registry(devnet.Deployer);
        foreach (var (provider, signer) in new[] { accused, cleared })
        {
            var receipt = receipts[provider.Address];
            await verifier.ProposeSlashAsync(receipt, devnet.Sign(receipt, signer), SlashFault.WrongOutput, Keccak.Hash("recomputed"), Keccak.Hash("evidence"));
        }

        await verifier.WithdrawSlashAsync(cleared.Provider.Address);
        await devnet.Registry(unstaked.Provider).RequestUnbondAsync(100 * Prz);
        await devnet.Registry(below.Provider).RequestUnbondAsync(1);

        await devnet.AdvanceEpochAsync();
        await service.CloseDueEpochsAsync(CancellationToken.None);

        var record = (await service.Store.GetEpochAsync(epoch, CancellationToken.None))!;
        Assert.Equal(new[] { accused, unstaked, below }.Select(p => SettlementStore.Key(p.Provider.Address)).Order(StringComparer.Ordinal), record.ExcludedProviders);
        var share = await devnet.FeeCappedAsync(record.RolePools[0] / 2, Prz);
        Assert.Equal(share, Assert.Single((await client.GetProofAsync(epoch, honest.Provider.Address)).Parse().Claims).Amount);
        Assert.Equal(share, Assert.Single((await client.GetProofAsync(epoch, cleared.Provider.Address)).Parse().Claims).Amount);
        foreach (var excluded in new[] { accused, unstaked, below })
            Assert.Equal(404, (await Assert.ThrowsAsync<SettlementException>(() => client.GetProofAsync(epoch, excluded.Provider.Address))).StatusCode);
        var file = await EpochProofsFile.ReadAsync(service.Closer.ProofsPath(epoch), CancellationToken.None);
        Assert.Equal(record.ExcludedProviders, file.ExcludedProviders);
    }

    [Fact]
    public async Task Receipts_and_redemptions_of_an_ended_epoch_count_until_its_close_delay_has_passed()
    {
        var delay = TimeSpan.FromSeconds(600);
        var chain = await devnet.SettlementChainAsync();
        await using var service = await SettlementService.StartAsync(chain, SettlementDevnet.Options(_directory, delay), NullLoggerFactory.Instance, null, CancellationToken.None);
        var client = new SettlementClient(_http, service.Address);
        var (provider, signer) = await devnet.NewProviderAsync();
        var payer = await devnet.NewFundedAccountAsync();

        // Start in a fresh epoch once the one before it can close (its end plus the delay), with everything before it settled.
        var epoch = await chain.CurrentEpochAsync(CancellationToken.None) + 1;
        await devnet.AdvanceToAsync(chain.Clock.Start(epoch) + (ulong)delay.TotalSeconds + 1);
        await service.CloseDueEpochsAsync(CancellationToken.None);
        Assert.Equal(epoch, await chain.CurrentEpochAsync(CancellationToken.None));

        var during = await devnet.ReceiptAsync(provider.Address, payer.Address, 0x01, 10, 0, 8, 3 * Prz);
        Assert.Equal(epoch, (await client.ReportReceiptAsync(during, devnet.Sign(during, signer))).Epoch);

        // The epoch ends; its last receipt arrives 10 s later, and the provider redeems both after the end.
        await devnet.AdvanceToAsync(chain.Clock.End(epoch) + 10);
        var last = await devnet.ReceiptAsync(provider.Address, payer.Address, 0x01, 10, 0, 8, 2 * Prz, timestamp: chain.Clock.End(epoch) - 1);
        Assert.Equal(epoch, (await client.ReportReceiptAsync(last, devnet.Sign(last, signer))).Epoch);
        Assert.DoesNotContain(epoch, await service.CloseDueEpochsAsync(CancellationToken.None));
        await devnet.PayAsync(payer, provider, 5 * Prz);

        await devnet.AdvanceToAsync(service.Closer.ClosableAt(epoch));
        Assert.Contains(epoch, await service.CloseDueEpochsAsync(CancellationToken.None));
        var record = (await service.Store.GetEpochAsync(epoch, CancellationToken.None))!;
        Assert.Equal(await devnet.FeeCappedAsync(record.RolePools[0], 5 * Prz), Assert.Single((await client.GetProofAsync(epoch, provider.Address)).Parse().Claims).Amount);

        var tooLate = await devnet.ReceiptAsync(provider.Address, payer.Address, 0x01, 10, 0, 8, Prz, timestamp: chain.Clock.End(epoch) - 1);
        Assert.Equal(409, (await Assert.ThrowsAsync<SettlementException>(() => client.ReportReceiptAsync(tooLate, devnet.Sign(tooLate, signer)))).StatusCode);
    }

    private Task<SettlementService> StartAsync() => StartAsync(SettlementDevnet.Options(_directory));

    private async Task<SettlementService> StartAsync(SettlementOptions options) =>
        await SettlementService.StartAsync(await devnet.SettlementChainAsync(), options, NullLoggerFactory.Instance, null, CancellationToken.None);

    /// <summary>Starts the test in an epoch nobody reported to: moves the clock one epoch on and settles what is due before it.</summary>
    private async Task FreshEpochAsync(SettlementService service)
    {
        await devnet.AdvanceEpochAsync();
        await service.CloseDueEpochsAsync(CancellationToken.None);
    }

    private static byte[] RandomModelId() => System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    private static Task<JsonNode> ReferenceTreeAsync(IReadOnlyDictionary<RewardLeaf, BigInteger> leaves) => NodeScript.RequestAsync(NodeScript.TestScript("Peerz.Settlement.Tests", "standard-merkle-tree.mjs"), new JsonObject
    {
        ["leaves"] = new JsonArray([.. leaves.Select(kv => (JsonNode)new JsonObject
        {
            ["account"] = kv.Key.Account.ToString(),
            ["role"] = (int)kv.Key.Role,
            ["amount"] = kv.Value.ToString(CultureInfo.InvariantCulture),
        })]),
    });
}
