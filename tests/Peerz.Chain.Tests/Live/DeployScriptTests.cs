using Peerz.Testing.Chain;

namespace Peerz.Chain.Tests.Live;

/// <summary>scripts/deploy-contracts.mjs (the run command's deployer) honours PEERZ_DEPLOY_OPTIONS and wires the contracts together.</summary>
[Trait("Category", "Chain")]
public sealed class DeployScriptTests(PeerzDevnet devnet) : IClassFixture<PeerzDevnet>
{
    [Fact]
    public async Task Deployment_has_the_overridden_minimum_stake_and_funded_accounts()
    {
        Assert.Equal(100 * PeerzDevnet.Prz, await devnet.Registry().MinStakeAsync());
        Assert.Equal(PeerzDevnet.FundingPerAccount, await devnet.Token().BalanceOfAsync(HardhatNode.Accounts[1].Address));
        Assert.Equal(31337, devnet.Deployment.ChainId);
    }
}
