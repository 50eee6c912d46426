using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Contracts;
using Peerz.Settlement.Http;
using Peerz.Settlement.Tests.Support;
using Peerz.Testing;
using Peerz.Testing.Chain;
using Peerz.Testing.Processes;

namespace Peerz.Settlement.Tests.Processes;

/// <summary>
/// A weight change passes the whole governance cycle through the real `peerz dao` commands (delegate, propose,
/// vote, queue, execute through the timelock that is the sole admin), and the next epoch's settlement follows it.
/// </summary>
[Collection(ProcessDevnetCollection.Name)]
[Trait("Category", "Chain")]
public sealed partial class DaoCycleTests(ProcessDevnet devnet) : IDisposable
{
    private readonly string _data = TempDirectory.Create("settle-dao");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose()
    {
        _http.Dispose();
        TempDirectory.Delete(_data);
    }

    [Fact]
    public async Task Weights_voted_through_the_timelock_govern_the_next_epoch_payouts()
    {
        var rewards = devnet.Rewards();
        var chain = devnet.ChainArguments(devnet.Deployer);

        // The deployer is no longer admin: setting weights directly fails.
        await Assert.ThrowsAsync<Peerz.Chain.Rpc.ContractRevertException>(() => devnet.Rewards(devnet.Deployer).SetRoleWeightsAsync([1, 1, 1, 1]));

        Ok(await devnet.PeerzAsync(["dao", "delegate", devnet.Deployer.Address.ToString(), .. chain]));
        var proposed = Ok(await devnet.PeerzAsync(["dao", "propose-weights", "inference=10", "training=10", "verification=10", "routing=70", "--description", $"More for routing {Guid.NewGuid():N}", .. chain]));
        var id = ProposalId().Match(proposed.Output).Groups[1].Value;
        Assert.Contains("pending", Ok(await devnet.PeerzAsync("dao", "status", id, "--rpc-url", devnet.Endpoint.ToString(), "--deployment", devnet.DeploymentFile)).Output, StringComparison.Ordinal);

        await MineAsync(2);
        Ok(await devnet.PeerzAsync(["dao", "vote", id, "for", .. chain]));
        var twice = await devnet.PeerzAsync(["dao", "vote", id, "for", .. chain]);
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("GovernorAlreadyCastVote", twice.Error, StringComparison.Ordinal);

        var early = await devnet.PeerzAsync(["dao", "queue", id, .. chain]);
        Assert.Equal(1, early.ExitCode);

        await MineAsync(51);
        Assert.Contains("succeeded", Ok(await devnet.PeerzAsync("dao", "status", id, "--rpc-url", devnet.Endpoint.ToString(), "--deployment", devnet.DeploymentFile)).Output, StringComparison.Ordinal);
        Ok(await devnet.PeerzAsync(["dao", "queue", id, .. chain]));
        Assert.Equal(1, (await devnet.PeerzAsync(["dao", "execute", id, .. chain])).ExitCode); // timelock delay not over
        await devnet.AdvanceTimeAsync(TimeSpan.FromSeconds(61));
        Ok(await devnet.PeerzAsync(["dao", "execute", id, .. chain]));
        Assert.Contains("executed", Ok(await devnet.PeerzAsync("dao", "status", id, "--rpc-url", devnet.Endpoint.ToString(), "--deployment", devnet.DeploymentFile)).Output, StringComparison.Ordinal);

        // In force from the next epoch on.
        var current = (long)await rewards.CurrentEpochAsync();
        Assert.Equal(new BigInteger[] { 60, 20, 15, 5 }, await rewards.RoleWeightsAtAsync(current));
        Assert.Equal(new BigInteger[] { 10, 10, 10, 70 }, await rewards.RoleWeightsAtAsync(current + 1));

        // Settle the next epoch: one provider's inference and one verification.
        var settlementChain = await devnet.SettlementChainAsync(freshNonces: true);
        await using var service = await SettlementService.StartAsync(settlementChain, SettlementDevnet.Options(_data), NullLoggerFactory.Instance, null, CancellationToken.None);
        var client = new SettlementClient(_http, service.Address);
        await devnet.AdvanceEpochAsync();
        await service.CloseDueEpochsAsync(CancellationToken.None);

        // Pre-funded accounts: the `peerz dao` processes sent from the deployer, so its cached nonce cannot fund fresh ones.
        var (provider, payer) = (HardhatNode.Accounts[4], HardhatNode.Accounts[3]);
        var signer = await devnet.RegisterProviderAsync(provider);
        var receipt = await devnet.ReceiptAsync(provider.Address, payer.Address, 0x01, 4, 0, 1, 4 * PeerzDevnet.Prz);
        await devnet.PayAsync(payer, provider, 4 * PeerzDevnet.Prz);
        var epoch = (await client.ReportReceiptAsync(receipt, devnet.Sign(receipt, signer))).Epoch;
        Assert.Equal(current + 1, epoch);
        await client.ReportVerificationAsync(devnet.Deployer, receipt.Digest(devnet.Deployment.ChainId, devnet.Deployment.Registry), await devnet.Rpc.BlockTimestampAsync(), devnet.Deployment);
        await devnet.AdvanceEpochAsync();
        await service.CloseDueEpochsAsync(CancellationToken.None);

        var posted = await rewards.GetEpochAsync(epoch);
        var providerProof = Assert.Single((await client.GetProofAsync(epoch, provider.Address)).Parse().Claims);
        var verifierProof = Assert.Single((await client.GetProofAsync(epoch, devnet.Deployer.Address)).Parse().Claims);
        // Inference is paid work: its share, at most half the fee it paid (docs/economics.md, "Self-dealing").
        var inference = await devnet.FeeCappedAsync(posted.Pool * 10 / 100, 4 * PeerzDevnet.Prz);
        Assert.Equal((RewardRole.Inference, inference), (providerProof.Role, providerProof.Amount));
        Assert.Equal((RewardRole.Verification, posted.Pool * 10 / 100), (verifierProof.Role, verifierProof.Amount));
        Assert.Equal(providerProof.Amount + verifierProof.Amount, posted.Total);
        Assert.Equal([inference, 0, posted.Pool * 10 / 100, 0], await rewards.RoleTotalsAsync(epoch));

        // Claims open once the root's challenge period (governance's veto window) is over.
        var notOpen = await Assert.ThrowsAsync<Peerz.Chain.Rpc.ContractRevertException>(() => devnet.Rewards(provider).ClaimAsync(epoch, provider.Address, RewardRole.Inference, providerProof.Amount, providerProof.Proof));
        Assert.Contains("ClaimNotOpen", notOpen.Message, StringComparison.Ordinal);
        await devnet.AdvanceToAsync(await rewards.ClaimsOpenAtAsync(epoch));
        var before = await devnet.Token().BalanceOfAsync(provider.Address);
        await devnet.Rewards(provider).ClaimAsync(epoch, provider.Address, RewardRole.Inference, providerProof.Amount, providerProof.Proof);
        Assert.Equal(before + providerProof.Amount, await devnet.Token().BalanceOfAsync(provider.Address));
    }

    private static ProcessResult Ok(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private Task MineAsync(int blocks) => devnet.Rpc.CallAsync("hardhat_mine", new JsonArray("0x" + blocks.ToString("x", CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"^proposal (\d+)", RegexOptions.Multiline)]
    private static partial Regex ProposalId();
}
