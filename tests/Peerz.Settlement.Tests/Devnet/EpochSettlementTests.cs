using System.Numerics;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using Peerz.P2P;
using Peerz.Settlement.Http;
using Peerz.Settlement.Rewards;
using Peerz.Settlement.Storage;
using Peerz.Settlement.Tests.Support;
using Peerz.Testing;
using Peerz.Testing.Chain;

namespace Peerz.Settlement.Tests.Devnet;

/// <summary>Settlement against Hardhat's node: real signed receipts over HTTP, a real libp2p ping peer, real postRoot and claims.</summary>
[Collection(SettlementDevnetCollection.Name)]
public sealed class EpochSettlementTests(SettlementDevnet devnet) : IAsyncLifetime
{
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
    public async Task Closing_an_epoch_pays_out_exactly_the_pool_by_the_weights_in_force_and_every_account_claims_once()
    {
        await using var bootstrap = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, NullLoggerFactory.Instance);
        await bootstrap.StartAsync(CancellationToken.None);
        var routing = HardhatNode.Accounts[5].Address;
        var chain = await devnet.SettlementChainAsync();
        // A second configured peer is down (nothing listens on its port): its account earns nothing.
        var down = new Uptime.BootstrapPeer(HardhatNode.Accounts[7].Address, Multiaddr.Parse($"/ip4/127.0.0.1/tcp/{HardhatNode.FreePort()}/p2p/{Identity.Generate().PeerId}"));
        await using var service = await StartAsync(chain, [new Uptime.BootstrapPeer(routing, bootstrap.ListenAddresses[0]), down]);
        var client = new SettlementClient(_http, service.Address);
        await FreshEpochAsync(service);

        var (a, b) = (HardhatNode.Accounts[1], HardhatNode.Accounts[2]);
        var signerA = await devnet.RegisterProviderAsync(a);
        var signerB = await devnet.RegisterProviderAsync(b);
        var receiptsA = new List<WorkReceipt>();
        for (var i = 0; i < 3; i++) receiptsA.Add(await devnet.ReceiptAsync(0x01, tokens: 10, start: 0, end: 4)); // 3 × 40 inference units
        var inferenceB = await devnet.ReceiptAsync(0x01, tokens: 5, start: 4, end: 8);                              // 20 inference units
        var forwardB = await devnet.ReceiptAsync(0x02, tokens: 8, start: 0, end: 2);                                // 16 training units
        var backwardB = await devnet.ReceiptAsync(0x03, tokens: 8, start: 0, end: 2);                               // 16 training units

        var results = new List<Contributions.ReportResult>();
        foreach (var r in receiptsA) results.Add(await client.ReportReceiptAsync(a.Address, r, Sign(r, signerA)));
        foreach (var r in new[] { inferenceB, forwardB, backwardB }) results.Add(await client.ReportReceiptAsync(b.Address, r, Sign(r, signerB)));
        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal(["inference", "inference", "inference", "inference", "training", "training"], results.Select(r => r.Role));
        var epoch = results[0].Epoch;
        Assert.All(results, r => Assert.Equal(epoch, r.Epoch));

        // Reporting the same receipt again (client and provider both report it) counts once.
        Assert.True((await client.ReportReceiptAsync(a.Address, receiptsA[0], Sign(receiptsA[0], signerA))).Duplicate);

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
        var expected = new Dictionary<Address, BigInteger>
        {
            [a.Address] = r0 * 120 / 140,              // 120 of 140 inference units
            [b.Address] = (r0 * 20 / 140) + r1,        // 20 of 140 inference units, all 32 training units
            [devnet.Deployer.Address] = r2,            // both verification units
            [routing] = r3,                            // the only uptime sample
        };

        // A wrong amount (one wei more) does not verify against the root.
        var proofA = (await client.GetProofAsync(epoch, a.Address)).Parse();
        var wrong = await Assert.ThrowsAsync<ContractRevertException>(() => devnet.Rewards(devnet.Deployer).ClaimAsync(epoch, a.Address, proofA.Amount + 1, proofA.Proof));
        Assert.Contains("InvalidProof", wrong.Message, StringComparison.Ordinal);

        var claimed = BigInteger.Zero;
        foreach (var (account, amount) in expected)
        {
            var proof = (await client.GetProofAsync(epoch, account)).Parse();
            Assert.Equal(amount, proof.Amount);
            var before = await devnet.Token().BalanceOfAsync(account);
            await devnet.Rewards(devnet.Deployer).ClaimAsync(epoch, account, proof.Amount, proof.Proof);
            Assert.Equal(before + amount, await devnet.Token().BalanceOfAsync(account));
            claimed += amount;
        }

        var after = await rewards.GetEpochAsync(epoch);
        var file = await EpochProofsFile.ReadAsync(service.Closer.ProofsPath(epoch), CancellationToken.None);
        Assert.Equal(onChain.Total, claimed);
        Assert.Equal(claimed, after.Claimed);
        Assert.Equal(onChain.Pool, claimed + BigInteger.Parse(file.Unallocated));
        Assert.Equal(expected.Count, file.Claims.Count);
        Assert.Null(file.ProofOf(down.Account.ToString()));

        // Claiming twice fails on chain.
        var twice = await Assert.ThrowsAsync<ContractRevertException>(() => devnet.Rewards(devnet.Deployer).ClaimAsync(epoch, a.Address, proofA.Amount, proofA.Proof));
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
        var late = await devnet.ReceiptAsync(0x01, 1, 0, 1, timestamp: chain.Clock.Start(epoch) + 1);
        var refused = await Assert.ThrowsAsync<SettlementException>(() => client.ReportReceiptAsync(a.Address, late, Sign(late, signerA)));
        Assert.Equal(409, refused.StatusCode);
    }

    [Fact]
    public async Task Work_of_a_provider_slashed_during_the_epoch_does_not_count()
    {
        var chain = await devnet.SettlementChainAsync();
        await using var service = await StartAsync(chain, []);
        var client = new SettlementClient(_http, service.Address);
        await FreshEpochAsync(service);

        var (honest, cheat) = (HardhatNode.Accounts[3], HardhatNode.Accounts[4]);
        var honestSigner = await devnet.RegisterProviderAsync(honest);
        var cheatSigner = await devnet.RegisterProviderAsync(cheat);
        var good = await devnet.ReceiptAsync(0x01, 10, 0, 1);
        var bad = await devnet.ReceiptAsync(0x01, 90, 0, 1);
        var epoch = (await client.ReportReceiptAsync(honest.Address, good, Sign(good, honestSigner))).Epoch;
        await client.ReportReceiptAsync(cheat.Address, bad, Sign(bad, cheatSigner));
        await devnet.Registry(devnet.Deployer).SlashAsync(cheat.Address, bad, Sign(bad, cheatSigner), Keccak.Hash("evidence"));

        await devnet.AdvanceEpochAsync();
        await service.CloseDueEpochsAsync(CancellationToken.None);

        var record = (await service.Store.GetEpochAsync(epoch, CancellationToken.None))!;
        Assert.Equal([SettlementStore.Key(cheat.Address)], record.ExcludedProviders);
        Assert.Equal(record.RolePools[0], (await client.GetProofAsync(epoch, honest.Address)).Parse().Amount);
        Assert.Equal(404, (await Assert.ThrowsAsync<SettlementException>(() => client.GetProofAsync(epoch, cheat.Address))).StatusCode);
    }

    private EthSignature Sign(WorkReceipt receipt, EthKey signer) => receipt.Sign(signer, devnet.Deployment.ChainId, devnet.Deployment.Registry);

    private Task<SettlementService> StartAsync(SettlementChain chain, IReadOnlyList<Uptime.BootstrapPeer> peers) =>
        SettlementService.StartAsync(
            chain,
            new SettlementOptions { DataDirectory = _directory, Listen = new Uri("http://127.0.0.1:0"), BootstrapPeers = peers, PingTimeout = TimeSpan.FromSeconds(10) },
            NullLoggerFactory.Instance,
            null,
            CancellationToken.None);

    /// <summary>Starts the test in an epoch nobody reported to: moves the clock one epoch on and settles what is due before it.</summary>
    private async Task FreshEpochAsync(SettlementService service)
    {
        await devnet.AdvanceEpochAsync();
        await service.CloseDueEpochsAsync(CancellationToken.None);
    }
}
