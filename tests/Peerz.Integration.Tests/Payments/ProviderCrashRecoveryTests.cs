using System.Numerics;
using Peerz.Chain.Wallet;
using Peerz.Model;
using Peerz.Model.Generation;
using Peerz.P2P;
using Peerz.Testing.Chain;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests.Payments;

/// <summary>
/// Crash safety of the provider's ledger with real processes: a `peerz-provider` serving paid requests is
/// killed (SIGKILL) after it recorded vouchers and before it redeemed them; `peerz-provider redeem` afterwards
/// collects exactly what is owed, and running it again pays nothing twice.
/// </summary>
[Trait("Category", "Chain")]
public sealed class ProviderCrashRecoveryTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IDisposable
{
    private static readonly BigInteger Price = 5_000_000_000_000;
    private readonly string _directory = TempDirectory.Create("crash");

    [Fact]
    public async Task Vouchers_recorded_before_a_kill_are_redeemed_after_restart_exactly_once()
    {
        var (providerKey, client) = (HardhatNode.Accounts[1], HardhatNode.Accounts[2]);
        var keystore = Path.Combine(_directory, "provider.json");
        var passwordFile = Path.Combine(_directory, "password");
        await File.WriteAllTextAsync(keystore, Keystore.Encrypt(providerKey, "correct horse", KeystoreKdf.LightScrypt));
        await File.WriteAllTextAsync(passwordFile, "correct horse\n");
        string[] account =
        [
            "--rpc-url", devnet.Endpoint.ToString(), "--deployment", devnet.WriteDeploymentFile(_directory),
            "--keystore", keystore, "--password-file", passwordFile, "--ledger", Path.Combine(_directory, "provider-ledger.db"),
        ];
        var providerDll = PeerzProcess.AssemblyPath("node/Peerz.Provider", "peerz-provider");

        using var provider = PeerzProcess.Start(providerDll,
        [
            "--model", model.Directory, "--model-id", "tiny", "--blocks", "0:4", "--identity", Path.Combine(_directory, "provider.key"),
            "--stake", "100", "--price", Price.ToString(), "--redeem-seconds", "3000", .. account,
        ]);
        var ready = provider.WaitForLine("ready ", TimeSpan.FromSeconds(120));
        var address = Multiaddr.Parse(ready.Split(' ')[1]);

        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(PeerzDevnet.Prz);
        var balanceBefore = await devnet.Token().BalanceOfAsync(providerKey.Address);
        await using (var swarm = new PaidSwarm(devnet, _directory))
        {
            using var local = LocalModel.Load(model.Directory);
            var (client1, payments) = await swarm.ConnectClientAsync(client, [address]);
            var tokens = await new TextGenerator(local.Head, PaidSwarm.Pipeline(client1, payments, 4))
                .GenerateAsync([5, 6, 7], new GenerationOptions { MaxNewTokens = 12 }).ToListAsync();
            Assert.Equal(12, tokens.Count);
        }
        Assert.Equal(BigInteger.Zero, await devnet.Escrow().RedeemedAsync(client.Address, providerKey.Address));

        provider.Kill();

        // Each position through 4 blocks, plus opening the session (one token through 4 blocks).
        var owed = ((3 + 12 - 1) * 4 * Price) + (1 * 4 * Price);
        using (var redeem = PeerzProcess.Start(providerDll, ["redeem", .. account]))
        {
            Assert.Equal(0, await redeem.WaitForExitAsync(TimeSpan.FromSeconds(120)));
            Assert.Contains("redeemed 1 voucher(s)", redeem.Output);
        }
        Assert.Equal(owed, await devnet.Escrow().RedeemedAsync(client.Address, providerKey.Address));
        var received = owed - await devnet.FeeOfAsync(owed);
        Assert.Equal(balanceBefore + received, await devnet.Token().BalanceOfAsync(providerKey.Address));

        using (var again = PeerzProcess.Start(providerDll, ["redeem", .. account]))
        {
            Assert.Equal(0, await again.WaitForExitAsync(TimeSpan.FromSeconds(120)));
            Assert.Contains("redeemed 0 voucher(s)", again.Output);
        }
        Assert.Equal(balanceBefore + received, await devnet.Token().BalanceOfAsync(providerKey.Address));
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
