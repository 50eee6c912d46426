using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Wallet;
using Peerz.Hosting.Chain;
using Peerz.Settlement.Tests.Support;
using Peerz.Testing.Chain;
using Peerz.Testing.Processes;

namespace Peerz.Settlement.Tests.Processes;

/// <summary>The real `peerz` executable: wallets, deposits and withdrawals against the devnet.</summary>
[Collection(ProcessDevnetCollection.Name)]
[Trait("Category", "Chain")]
public sealed class WalletCliTests(ProcessDevnet devnet)
{
    private static readonly BigInteger Prz = PeerzDevnet.Prz;

    [Fact]
    public async Task Wallet_new_writes_a_keystore_whose_address_matches_the_printout()
    {
        var path = Path.Combine(devnet.Directory, $"new-{Guid.NewGuid():N}.json");
        var created = await devnet.PeerzAsync("wallet", "new", "--keystore", path, "--password-file", devnet.PasswordFile);
        Assert.True(created.ExitCode == 0, created.ToString());
        var key = Keystore.Decrypt(await File.ReadAllTextAsync(path), ProcessDevnet.Password);
        Assert.StartsWith(key.Address.ToString(), created.Output, StringComparison.Ordinal);

        var shown = await devnet.PeerzAsync("wallet", "address", "--keystore", path);
        Assert.Equal(key.Address.ToString(), shown.Output.Trim());

        var again = await devnet.PeerzAsync("wallet", "new", "--keystore", path, "--password-file", devnet.PasswordFile);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wallet_import_reads_the_key_from_stdin_and_never_from_an_argument()
    {
        var account = HardhatNode.Accounts[7];
        var path = Path.Combine(devnet.Directory, $"import-{Guid.NewGuid():N}.json");
        var imported = await ToolProcess.RunAsync(
            "peerz", ["wallet", "import", "--keystore", path], new Dictionary<string, string> { ["PEERZ_PASSWORD"] = ProcessDevnet.Password }, stdin: Hex.Encode(account.ExportPrivateKey()) + "\n");
        Assert.True(imported.ExitCode == 0, imported.ToString());
        Assert.Equal(account.Address, Keystore.Decrypt(await File.ReadAllTextAsync(path), ProcessDevnet.Password).Address);

        var keyFile = Path.Combine(devnet.Directory, $"key-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(keyFile, Hex.Encode(HardhatNode.Accounts[5].ExportPrivateKey())[2..]);
        var fromFile = await devnet.PeerzAsync("wallet", "import", "--keystore", path + ".file", "--key-file", keyFile, "--password-file", devnet.PasswordFile);
        Assert.True(fromFile.ExitCode == 0, fromFile.ToString());
        Assert.Equal(HardhatNode.Accounts[5].Address.ToString(), (await devnet.PeerzAsync("wallet", "address", "--keystore", path + ".file")).Output.Trim());

        var garbage = await ToolProcess.RunAsync("peerz", ["wallet", "import", "--keystore", path + ".bad"], new Dictionary<string, string> { ["PEERZ_PASSWORD"] = "x" }, stdin: "not a key\n");
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("not a private key", garbage.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(path + ".bad"));

        var noPassword = await ToolProcess.RunAsync("peerz", ["wallet", "import", "--keystore", path + ".nopw"], stdin: Hex.Encode(account.ExportPrivateKey()));
        Assert.Equal(1, noPassword.ExitCode);
        Assert.Contains("PEERZ_PASSWORD", noPassword.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deposit_and_withdraw_move_exactly_the_typed_amounts()
    {
        var account = HardhatNode.Accounts[6];
        var chain = devnet.ChainArguments(account);
        var escrowBefore = await devnet.Escrow().BalanceOfAsync(account.Address);

        var balance = await devnet.PeerzAsync(["wallet", "balance", .. chain[..6]]); // no password needed
        Assert.True(balance.ExitCode == 0, balance.ToString());
        Assert.Contains($"PRZ     {PrzAmount.Format(await devnet.Token().BalanceOfAsync(account.Address))}\n", balance.Output, StringComparison.Ordinal);
        Assert.Contains($"escrow  {PrzAmount.Format(escrowBefore)} PRZ", balance.Output, StringComparison.Ordinal);

        var deposit = await devnet.PeerzAsync(["deposit", "12.5", .. chain]);
        Assert.True(deposit.ExitCode == 0, deposit.ToString());
        Assert.Equal(escrowBefore + (125 * Prz / 10), await devnet.Escrow().BalanceOfAsync(account.Address));

        foreach (var bad in new[] { "1.2.3", "+1", "0.0000000000000000001", "1e3", "0" })
        {
            var refused = await devnet.PeerzAsync(["deposit", bad, .. chain]);
            Assert.Equal(1, refused.ExitCode);
            Assert.StartsWith("error: ", refused.Error, StringComparison.Ordinal);
        }

        var tooMuch = await devnet.PeerzAsync(["deposit", "100000000", .. chain]);
        Assert.Equal(1, tooMuch.ExitCode);
        Assert.Contains("less than", tooMuch.Error, StringComparison.Ordinal);

        var request = await devnet.PeerzAsync(["withdraw", "request", "2.5", .. chain]);
        Assert.True(request.ExitCode == 0, request.ToString());
        var early = await devnet.PeerzAsync(["withdraw", "complete", .. chain]);
        Assert.Equal(1, early.ExitCode);
        Assert.Contains("WithdrawalNotReady", early.Error, StringComparison.Ordinal);

        await devnet.AdvanceTimeAsync(TimeSpan.FromSeconds(3601));
        var tokensBefore = await devnet.Token().BalanceOfAsync(account.Address);
        var complete = await devnet.PeerzAsync(["withdraw", "complete", .. chain]);
        Assert.True(complete.ExitCode == 0, complete.ToString());
        Assert.Equal(tokensBefore + (25 * Prz / 10), await devnet.Token().BalanceOfAsync(account.Address));
        Assert.Equal(escrowBefore + (10 * Prz), await devnet.Escrow().BalanceOfAsync(account.Address));
    }
}
