using System.CommandLine;

namespace Peerz.Hosting.Wallets;

/// <summary>
/// Which key signs: a Web3 keystore v3 file and where its password comes from. The password is never a flag
/// (shell history): it comes from --password-file, the PEERZ_PASSWORD environment variable, or a prompt.
/// </summary>
public static class WalletOptions
{
    public const string PasswordEnvironmentVariable = "PEERZ_PASSWORD";

    public static Option<string> Keystore() => new("--keystore")
    {
        Description = "Keystore v3 file of the account (also PEERZ_KEYSTORE)",
        DefaultValueFactory = _ => Path.Combine(PeerzHome.Directory(), "wallet.json"),
    };

    public static Option<string?> PasswordFile() => new("--password-file") { Description = $"File whose first line is the keystore password (else {PasswordEnvironmentVariable}, else a prompt)" };
}
