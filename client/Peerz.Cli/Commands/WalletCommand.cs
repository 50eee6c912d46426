using System.CommandLine;
using System.Text.Json;
using Peerz.Chain.Crypto;
using Peerz.Chain.Wallet;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Wallets;

namespace Peerz.Cli.Commands;

/// <summary>`peerz wallet new|import|address|balance`: keystore v3 files; passwords never on the command line.</summary>
public static class WalletCommand
{
    /// <summary>A private key file holds one hex line; anything longer is not a key.</summary>
    private const int MaxKeyFileBytes = 1024;

    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var command = new Command("wallet", "Create, import and inspect the account that pays and gets paid");
        command.Subcommands.Add(New(settingsFor, config));
        command.Subcommands.Add(Import(settingsFor, config));
        command.Subcommands.Add(AddressCommand(settingsFor, config));
        command.Subcommands.Add(Balance(settingsFor, config));
        return command;
    }

    private static Command New(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var keystore = WalletOptions.Keystore();
        var passwordFile = WalletOptions.PasswordFile();
        var command = new Command("new", "Generate a key and save it encrypted (scrypt keystore v3, mode 0600)") { keystore, passwordFile };
        command.SetAction(result =>
        {
            var settings = settingsFor(result.GetValue(config));
            var key = EthKey.Generate();
            var path = settings.Get(result, keystore);
            WalletLoader.ForConsole().Save(key, path, settings.Get(result, passwordFile));
            Console.WriteLine($"{key.Address}  (saved to {path})");
        });
        return command;
    }

    private static Command Import(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var keystore = WalletOptions.Keystore();
        var passwordFile = WalletOptions.PasswordFile();
        var keyFile = new Option<string?>("--key-file") { Description = "File holding the hex private key (default: read it from standard input); never pass a key as an argument" };
        var command = new Command("import", "Encrypt an existing hex private key into a keystore") { keystore, passwordFile, keyFile };
        command.SetAction(result =>
        {
            var settings = settingsFor(result.GetValue(config));
            var file = settings.Get(result, keyFile);
            var text = file is null ? ReadBounded(Console.In, "standard input") : ReadKeyFile(file);
            // With the key on stdin the password cannot be prompted for there too.
            var loader = file is null ? new WalletLoader(Environment.GetEnvironmentVariable, TextReader.Null, Console.Error, interactive: false) : WalletLoader.ForConsole();
            EthKey key;
            try
            {
                key = EthKey.FromHex(text.Trim());
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new UserErrorException($"not a private key: expected 32 bytes of hex (0x optional) ({e.Message})");
            }

            var path = settings.Get(result, keystore);
            loader.Save(key, path, settings.Get(result, passwordFile));
            Console.WriteLine($"{key.Address}  (saved to {path})");
        });
        return command;
    }

    private static Command AddressCommand(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var keystore = WalletOptions.Keystore();
        var command = new Command("address", "Print the keystore's address (no password needed)") { keystore };
        command.SetAction(result => Console.WriteLine(KeystoreAddress(settingsFor(result.GetValue(config)).Get(result, keystore))));
        return command;
    }

    private static Command Balance(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var address = new Option<string?>("--address") { Description = "Account to show (default: the keystore's address)" };
        var command = new Command("balance", "Show ETH, PRZ and the PRZ deposited in the payment escrow") { address, chain.RpcUrl, chain.Deployment, chain.Keystore };
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var account = settings.Get(result, address) is { } text
                ? ChainCommandOptions.ParseAddress(text, "--address")
                : KeystoreAddress(settings.Get(result, chain.Keystore));
            using var connection = await chain.ConnectReadOnlyAsync(settings, result, ct);
            var eth = await connection.Rpc.GetBalanceAsync(account, cancellationToken: ct);
            var prz = await connection.Token.BalanceOfAsync(account, ct);
            var escrow = await connection.Escrow.BalanceOfAsync(account, ct);
            Console.WriteLine($"account {account}");
            Console.WriteLine($"ETH     {PrzAmount.Format(eth)}");
            Console.WriteLine($"PRZ     {PrzAmount.Format(prz)}");
            Console.WriteLine($"escrow  {PrzAmount.Format(escrow)} PRZ");
        });
        return command;
    }

    /// <summary>The address a keystore v3 file records in clear (checked against the key whenever the key is unlocked).</summary>
    private static Address KeystoreAddress(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new UserErrorException($"no keystore at {path} (create one with `peerz wallet new`)");
            if (info.Length > Keystore.MaxFileLength) throw new UserErrorException($"{path} is too large to be a keystore");
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("address", out var field) && field.ValueKind == JsonValueKind.String
                && Address.TryParse(field.GetString()!.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? field.GetString()! : "0x" + field.GetString(), out var address)
                ? address
                : throw new UserErrorException($"{path} records no address; unlock it with a command that signs");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new UserErrorException($"cannot read keystore {path}: {e.Message}");
        }
    }

    private static string ReadKeyFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new UserErrorException($"no key file at {path}");
            using var reader = new StreamReader(path);
            return ReadBounded(reader, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException($"cannot read key file {path}: {e.Message}");
        }
    }

    private static string ReadBounded(TextReader reader, string source)
    {
        var buffer = new char[MaxKeyFileBytes + 1];
        var length = reader.ReadBlock(buffer, 0, buffer.Length);
        if (length > MaxKeyFileBytes) throw new UserErrorException($"{source} holds more than {MaxKeyFileBytes} characters; it is not a private key");
        if (length == 0) throw new UserErrorException($"no private key on {source}");
        return new string(buffer, 0, length);
    }
}
