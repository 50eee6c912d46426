using System.Numerics;
using Peerz.Chain.Wallet;
using Peerz.Testing.Chain;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests.Payments;

/// <summary>The real `peerz lane` command on Hardhat's node: reserve and show a lane, release part of it, and get it back after the delay.</summary>
[Trait("Category", "Chain")]
public sealed class LaneCommandTests(PeerzDevnet devnet) : IClassFixture<PeerzDevnet>, IDisposable
{
    private readonly string _directory = TempDirectory.Create("lane-cli");

    [Fact]
    public async Task A_client_releases_part_of_a_lane_and_gets_it_back_after_the_withdrawal_delay()
    {
        var (client, provider) = (await devnet.NewFundedAccountAsync(), await devnet.NewFundedAccountAsync());
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, 3 * PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(3 * PeerzDevnet.Prz);
        var keystore = Path.Combine(_directory, "client.json");
        var passwordFile = Path.Combine(_directory, "password");
        await File.WriteAllTextAsync(keystore, Keystore.Encrypt(client, "pw", KeystoreKdf.LightScrypt));
        await File.WriteAllTextAsync(passwordFile, "pw\n");
        string[] chain = ["--rpc-url", devnet.Endpoint.ToString(), "--deployment", devnet.WriteDeploymentFile(_directory), "--keystore", keystore, "--password-file", passwordFile];
        var peerz = PeerzProcess.AssemblyPath("client/Peerz.Cli", "peerz");
        async Task<string> RunAsync(params string[] arguments)
        {
            using var process = PeerzProcess.Start(peerz, [.. arguments, .. chain]);
            Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, process.Output);
            return process.Output;
        }

        Assert.Contains("lane 2 PRZ", await RunAsync("lane", "reserve", provider.Address.ToString(), "2"));
        Assert.Contains("2 PRZ reserved", await RunAsync("lane", "show", provider.Address.ToString()));
        Assert.Contains("requested", await RunAsync("lane", "release", provider.Address.ToString(), "0.5"));
        Assert.Equal(3 * PeerzDevnet.Prz / 2, await devnet.Escrow().SpendableAsync(client.Address, provider.Address));

        await devnet.AdvanceTimeAsync(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        Assert.Contains("unreserved deposit 1.5 PRZ", await RunAsync("lane", "complete", provider.Address.ToString()));
        Assert.Equal(3 * PeerzDevnet.Prz / 2, (await devnet.Escrow().LaneAsync(client.Address, provider.Address)).Amount);
        Assert.Equal(BigInteger.Zero, (await devnet.Escrow().LaneAsync(client.Address, provider.Address)).Releasing);
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
