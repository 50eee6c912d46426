using System.Globalization;
using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.Wallet;
using Peerz.Model.Tiny;
using Peerz.Node.Serving;
using Peerz.Testing.Chain;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests.Chaos;

/// <summary>
/// The whole network as real processes from the build output, wired like scripts/run.sh: four honest staked providers
/// (two per half of the model, so any one can die and a route remains), one cheating provider (the honest weights, serving the second
/// half, answering one response in ten wrong), the verifier, settlement with one-minute epochs, and a paying gateway; plus an
/// unpaid local gateway (every block in one process) as the reference for the paying one's answers. Ports and
/// identities are fixed, so a restarted process is found where it was.
/// </summary>
public sealed class ChaosNetwork : IAsyncDisposable
{
    public const string ModelId = "tiny";
    public const string Password = "chaos";
    /// <summary>
    /// The cheater serves the honest weights but answers one response in ten wrong (signed like the rest), through the
    /// provider's fault injection: rarely enough that most of its answers pass, often enough that the verifier, which
    /// checks every session here, catches it within the short soak (a 13-step generation holds a wrong step with
    /// probability 1 - 0.9^13 = 75 %).
    /// </summary>
    public const double CheatRate = 0.1;
    public static readonly BigInteger Price = 1_000_000_000;
    private const int Blocks = 4;

    private readonly ChaosDevnet _devnet;
    private readonly List<ChaosRole> _roles = [];
    private readonly string _deployment;
    private readonly string _passwordFile;
    private PeerzProcess? _localGateway;

    private ChaosNetwork(ChaosDevnet devnet, string directory, string model)
    {
        _devnet = devnet;
        Directory = directory;
        Model = model;
        Logs = System.IO.Directory.CreateDirectory(Path.Combine(directory, "logs")).FullName;
        _deployment = devnet.WriteDeploymentFile(directory);
        _passwordFile = Path.Combine(directory, "password");
        File.WriteAllText(_passwordFile, Password + "\n");
    }

    public string Directory { get; }

    public string Model { get; }

    /// <summary>Where each process's output goes (one file per role, all incarnations).</summary>
    public string Logs { get; }

    public List<(ChaosRole Role, EthKey Key, string Ledger)> HonestProviders { get; } = [];

    public (ChaosRole Role, EthKey Key, string Ledger, string PeerId) Cheater { get; private set; }

    public ChaosRole Verifier { get; private set; } = null!;

    public ChaosRole Settlement { get; private set; } = null!;

    public (ChaosRole Role, EthKey Key, string Ledger) Gateway { get; private set; }

    public string VerifierUrl { get; private set; } = "";

    public string SettlementUrl { get; private set; } = "";

    public string GatewayUrl { get; private set; } = "";

    public string LocalGatewayUrl { get; private set; } = "";

    public List<string> Bootstrap { get; } = [];

    public string SettlementData => Path.Combine(Directory, "settlement");

    /// <summary>The roles the fault schedule may kill: honest providers, the verifier, settlement and the gateway (not the cheater: jailed, it could not come back).</summary>
    public IReadOnlyList<ChaosRole> Killable => [.. HonestProviders.Select(p => p.Role), Verifier, Settlement, Gateway.Role];

    public IEnumerable<ChaosRole> AllRoles => _roles;

    public static async Task<ChaosNetwork> StartAsync(ChaosDevnet devnet, string directory, IReadOnlyList<EthKey> honestKeys, EthKey cheaterKey, EthKey gatewayKey)
    {
        var model = Path.Combine(directory, "model");
        TinyCheckpoint.Write(model, TinyModelFixture.TestShape with { Vocab = 512 });
        var network = new ChaosNetwork(devnet, directory, model);
        try
        {
            await network.StartAllAsync(honestKeys, cheaterKey, gatewayKey);
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>The arguments every paying client (generate, serve) gets: the swarm, the chain, its wallet and ledger, and where to report receipts.</summary>
    public string[] ClientArguments(EthKey key, string ledger) =>
    [
        "--model", Model, "--model-id", ModelId, "--bootstrap", .. Bootstrap, .. Chain, .. Wallet(key), "--ledger", ledger,
        "--report-to", SettlementUrl, VerifierUrl,
    ];

    /// <summary>Runs `peerz-provider redeem` for a provider (it redeems every voucher its ledger holds, then exits).</summary>
    public PeerzProcess Redeem(EthKey key, string ledger) =>
        PeerzProcess.Start(ProviderDll, ["redeem", .. Chain, .. Wallet(key), "--ledger", ledger]);

    public static string PeerzDll => PeerzProcess.AssemblyPath("client/Peerz.Cli", "peerz");

    private static string ProviderDll => PeerzProcess.AssemblyPath("node/Peerz.Provider", "peerz-provider");

    private string[] Chain => ["--rpc-url", _devnet.Endpoint.ToString(), "--deployment", _deployment];

    private string[] Wallet(EthKey key)
    {
        var keystore = Path.Combine(Directory, "wallets", key.Address + ".json");
        if (!File.Exists(keystore))
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(keystore)!);
            File.WriteAllText(keystore, Keystore.Encrypt(key, Password, KeystoreKdf.LightScrypt));
        }
        return ["--keystore", keystore, "--password-file", _passwordFile];
    }

    private async Task StartAllAsync(IReadOnlyList<EthKey> honestKeys, EthKey cheaterKey, EthKey gatewayKey)
    {
        string[] spans = ["0:2", "2:4", "0:2", "2:4"];
        for (var i = 0; i < honestKeys.Count; i++)
        {
            var (role, ledger) = Provider($"provider-{i + 1}", honestKeys[i], spans[i % spans.Length], Model);
            HonestProviders.Add((role, honestKeys[i], ledger));
            Bootstrap.Add(role.Start().Split(' ')[1]);
        }
        var (cheater, cheaterLedger) = Provider("cheater", cheaterKey, "2:4", Model, new Dictionary<string, string>
        {
            [WrongOutputFault.RateVariable] = CheatRate.ToString(CultureInfo.InvariantCulture),
        });
        var cheaterAddress = cheater.Start().Split(' ')[1];
        Cheater = (cheater, cheaterKey, cheaterLedger, cheaterAddress[(cheaterAddress.LastIndexOf('/') + 1)..]);

        SettlementUrl = $"http://127.0.0.1:{HardhatNode.FreePort()}";
        Settlement = Add(new ChaosRole("settlement", Logs, _ => PeerzProcess.Start(PeerzProcess.AssemblyPath("ledger/Peerz.Settle", "peerz-settle"),
        [
            .. Chain, .. Wallet(ChaosDevnet.SettlerKey), "--data-dir", SettlementData, "--listen", SettlementUrl,
            // Close an epoch 20 s after its end: longer than the providers' 10 s redeem interval plus a block.
            "--close-delay", "20", "--poll-interval", "2", "--model", $"{ModelId}={Blocks}", "--bootstrap", $"{honestKeys[0].Address}={Bootstrap[0]}",
        ]), line => line.Contains("API on ", StringComparison.Ordinal)));
        Settlement.Start();

        VerifierUrl = $"http://127.0.0.1:{HardhatNode.FreePort()}";
        Verifier = Add(new ChaosRole("verifier", Logs, _ => PeerzProcess.Start(PeerzProcess.AssemblyPath("verifier/Peerz.Verifier.Service", "peerz-verifier"),
        [
            "--model", Model, "--model-id", ModelId, "--bootstrap", .. Bootstrap, .. Chain, .. Wallet(ChaosDevnet.VerifierKey), "--http", VerifierUrl,
            "--ledger", Path.Combine(Directory, "verifier.db"), "--client-ledger", Path.Combine(Directory, "verifier-client.db"),
            "--sample-rate", "1", "--probe-seconds", "15", "--settlement-url", SettlementUrl,
        ]), line => line.StartsWith("ready ", StringComparison.Ordinal)));
        Verifier.Start();

        GatewayUrl = $"http://127.0.0.1:{HardhatNode.FreePort()}";
        var gatewayLedger = Path.Combine(Directory, "gateway-ledger.db");
        Gateway = (Add(new ChaosRole("gateway", Logs, _ => PeerzProcess.Start(PeerzDll, ["serve", .. ClientArguments(gatewayKey, gatewayLedger), "--url", GatewayUrl]),
            line => line.StartsWith("serving ", StringComparison.Ordinal))), gatewayKey, gatewayLedger);
        Gateway.Role.Start();

        LocalGatewayUrl = $"http://127.0.0.1:{HardhatNode.FreePort()}";
        _localGateway = PeerzProcess.Start(PeerzDll, ["serve", "--local", "--model", Model, "--model-id", ModelId, "--url", LocalGatewayUrl]);
        _localGateway.WaitForPrintedLine(line => line.StartsWith("serving ", StringComparison.Ordinal), "serving", TimeSpan.FromSeconds(120));
    }

    private (ChaosRole Role, string Ledger) Provider(string name, EthKey key, string blocks, string model, IReadOnlyDictionary<string, string>? environment = null)
    {
        var ledger = Path.Combine(Directory, name + ".db");
        var listen = $"/ip4/127.0.0.1/tcp/{HardhatNode.FreePort()}";
        var role = Add(new ChaosRole(name, Logs, incarnation => PeerzProcess.Start(ProviderDll,
        [
            "--model", model, "--model-id", ModelId, "--blocks", blocks, "--identity", Path.Combine(Directory, name + ".key"), "--listen", listen,
            .. BootstrapExcept(listen), .. Chain, .. Wallet(key), "--ledger", ledger, "--price", Price.ToString(CultureInfo.InvariantCulture),
            // Staked once; a restart serves on the stake already registered.
            "--stake", incarnation == 0 ? "100" : "0", "--redeem-seconds", "10",
        ], environment), line => line.StartsWith("ready ", StringComparison.Ordinal)));
        return (role, ledger);
    }

    /// <summary>--bootstrap with every honest provider known so far but the one listening on <paramref name="listen"/> (none for the first).</summary>
    private string[] BootstrapExcept(string listen) =>
        Bootstrap.Where(a => !a.StartsWith(listen + "/", StringComparison.Ordinal)).ToArray() is { Length: > 0 } others ? ["--bootstrap", .. others] : [];

    private ChaosRole Add(ChaosRole role)
    {
        _roles.Add(role);
        return role;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var role in Enumerable.Reverse(_roles)) role.Dispose();
        _localGateway?.Dispose();
        return ValueTask.CompletedTask;
    }
}
