using System.CommandLine;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Wallets;

namespace Peerz.Provider;

/// <summary>The options naming the provider's chain, account and ledger, shared by serving and `redeem`.</summary>
public sealed record AccountOptions(Option<string?> RpcUrl, Option<string?> Deployment, Option<string> Keystore, Option<string?> PasswordFile, Option<string> Ledger)
{
    public static AccountOptions Create() => new(
        ChainOptions.RpcUrl(),
        ChainOptions.Deployment(),
        WalletOptions.Keystore(),
        WalletOptions.PasswordFile(),
        new Option<string>("--ledger") { Description = "SQLite ledger of vouchers, receipts and payloads", DefaultValueFactory = _ => Path.Combine(PeerzHome.Directory(), "provider-ledger.db") });

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { RpcUrl, Deployment, Keystore, PasswordFile, Ledger }) command.Options.Add(option);
    }

    public ChainSettings? Chain(LayeredSettings settings, ParseResult result) => ChainOptions.Resolve(settings, result, RpcUrl, Deployment);
}
