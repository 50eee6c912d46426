using Peerz.Chain.Crypto;
using Peerz.Chain.Wallet;
using Peerz.Testing;
using Peerz.Testing.Processes;
using Peerz.Testing.Storage;

namespace Peerz.Settlement.Tests.Support;

/// <summary>
/// The governed devnet (timelock is admin, as in production) shared by the tests that drive the real `peerz` and
/// `peerz-settle` processes, with a deployment file and keystores they can read.
/// </summary>
public sealed class ProcessDevnet : GovernedDevnet
{
    public const string Password = "correct horse battery staple";

    public string Directory { get; } = TempDirectory.Create("settle-process");

    public string DeploymentFile { get; private set; } = "";

    public string PasswordFile => Path.Combine(Directory, "password.txt");

    /// <summary>Seconds between a root's posting and its claims opening (the governance veto window), short for tests.</summary>
    public const int RootChallengeSeconds = 600;

    protected override IReadOnlyDictionary<string, object> DeployOptions { get; } = new Dictionary<string, object>(SettlementDeployOptions)
    {
        ["rootChallengePeriod"] = RootChallengeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>peerz-settle's model and close-delay flags for these tests.</summary>
    public static string[] SettleArguments => ["--model", $"{ModelName}={ModelLayers}", "--close-delay", "0"];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        DeploymentFile = WriteDeploymentFile(Directory);
        await File.WriteAllTextAsync(PasswordFile, Password + "\n");
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        TempDirectory.Delete(Directory);
    }

    /// <summary>A keystore file for <paramref name="key"/> (light scrypt: the processes unlock it many times).</summary>
    public string Keystore(EthKey key)
    {
        var path = Path.Combine(Directory, $"{key.Address}.json");
        if (!File.Exists(path)) File.WriteAllText(path, Peerz.Chain.Wallet.Keystore.Encrypt(key, Password, new ScryptKdf(1 << 12, 8, 1)));
        return path;
    }

    /// <summary>--rpc-url, --deployment, --keystore and --password-file for <paramref name="key"/>.</summary>
    public string[] ChainArguments(EthKey key) =>
        ["--rpc-url", Endpoint.ToString(), "--deployment", DeploymentFile, "--keystore", Keystore(key), "--password-file", PasswordFile];

    public Task<ProcessResult> PeerzAsync(params string[] arguments) => ToolProcess.RunAsync("peerz", arguments);
}

/// <summary>The process tests' devnet, and a PostgreSQL server for running peerz-settle on a PostgreSQL store.</summary>
[CollectionDefinition(Name)]
public sealed class ProcessDevnetCollection : ICollectionFixture<ProcessDevnet>, ICollectionFixture<PostgresServer>
{
    public const string Name = "process devnet";
}
