using Peerz.Chain.Crypto;
using Peerz.Chain.Wallet;

namespace Peerz.Hosting.Wallets;

/// <summary>Reads keystore files and their passwords for the executables, turning every failure into a user error.</summary>
public sealed class WalletLoader(Func<string, string?> environment, TextReader input, TextWriter prompt, bool interactive)
{
    public static WalletLoader ForConsole() =>
        new(Environment.GetEnvironmentVariable, Console.In, Console.Error, !Console.IsInputRedirected);

    public EthKey Load(string keystoreFile, string? passwordFile)
    {
        string json;
        try
        {
            var info = new FileInfo(keystoreFile);
            if (!info.Exists) throw new UserErrorException($"no keystore at {keystoreFile} (create one with `peerz wallet new`)");
            if (info.Length > Keystore.MaxFileLength) throw new UserErrorException($"{keystoreFile} is too large to be a keystore");
            json = File.ReadAllText(keystoreFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException($"cannot read keystore {keystoreFile}: {e.Message}");
        }

        try
        {
            return Keystore.Decrypt(json, Password(passwordFile, confirm: false));
        }
        catch (KeystoreException e)
        {
            throw new UserErrorException($"cannot unlock {keystoreFile}: {e.Message}");
        }
    }

    /// <summary>Encrypts <paramref name="key"/> into a new keystore file (mode 0600); refuses to overwrite one.</summary>
    public void Save(EthKey key, string keystoreFile, string? passwordFile)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (File.Exists(keystoreFile)) throw new UserErrorException($"{keystoreFile} already exists; choose another --keystore");
        var json = Keystore.Encrypt(key, Password(passwordFile, confirm: true));
        var directory = Path.GetDirectoryName(Path.GetFullPath(keystoreFile))!;
        Directory.CreateDirectory(directory);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(keystoreFile, options);
        using var writer = new StreamWriter(stream);
        writer.Write(json);
    }

    public string Password(string? passwordFile, bool confirm)
    {
        if (passwordFile is not null)
        {
            try
            {
                using var reader = new StreamReader(passwordFile);
                return reader.ReadLine() ?? throw new UserErrorException($"password file {passwordFile} is empty");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserErrorException($"cannot read password file {passwordFile}: {e.Message}");
            }
        }

        if (environment(WalletOptions.PasswordEnvironmentVariable) is { } fromEnvironment) return fromEnvironment;
        if (!interactive)
            throw new UserErrorException($"no password: give --password-file or set {WalletOptions.PasswordEnvironmentVariable}");
        var password = Ask("Keystore password: ");
        if (confirm && Ask("Repeat password: ") != password) throw new UserErrorException("the passwords differ");
        return password;
    }

    private string Ask(string question)
    {
        prompt.Write(question);
        prompt.Flush();
        var line = input.ReadLine() ?? throw new UserErrorException("no password given");
        prompt.WriteLine();
        return line;
    }
}
