using System.Diagnostics;
using System.Globalization;
using Peerz.Model.Tiny;
using Peerz.Testing;
using Peerz.Testing.Network;
using Peerz.Testing.Processes;

namespace Peerz.Bench.Nat;

/// <summary>
/// How long a provider behind a home NAT takes, from the start of its process, until clients can reach it, beside a
/// public provider started the same way in the same lab. Runs real peerz-provider and peerz processes in a
/// <see cref="NetworkLab"/> (network namespaces, iptables MASQUERADE routers; needs root, like the Nat tests).
/// "Reachable" is the moment the provider's DHT record carries an address a client can dial: for the public one its
/// first announcement ("ready"), for the private one the first announcement with a /p2p-circuit address (AutoNAT
/// verdict, relay found, reservation made). Each round then runs one client (behind a symmetric NAT) against each.
/// Needs the solution built in Release: the processes are the Release build outputs.
/// </summary>
internal static class ReachabilityBenchmark
{
    private const int Port = 4001;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    public static async Task RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var model = Path.Combine(Path.GetTempPath(), "peerz-bench-reachability-model");
        if (!File.Exists(Path.Combine(model, "config.json"))) TinyCheckpoint.Write(model, TinyModelFixture.TestShape with { Vocab = 512 });
        var identities = Path.Combine(Path.GetTempPath(), $"peerz-bench-reachability-{Environment.ProcessId}");
        Directory.CreateDirectory(identities);
        var rows = new List<Round>();
        try
        {
            for (var round = 1; round <= rounds; round++)
            {
                var row = await RoundAsync(model, identities);
                Console.WriteLine($"round {round}: public provider reachable after {row.Public:F2} s, private (cone NAT) after {row.Private:F2} s " +
                    $"({row.Private / row.Public:F1}×); a first client's 4 tokens took {row.PublicClient:F2} s direct, {row.PrivateClient:F2} s through the relay");
                rows.Add(row);
            }
        }
        finally
        {
            Directory.Delete(identities, recursive: true);
        }
        Console.WriteLine($"median of {rounds} rounds: public {Statistics.Median(rows.Select(r => r.Public)):F2} s, private {Statistics.Median(rows.Select(r => r.Private)):F2} s " +
            $"(median ratio {Statistics.Median(rows.Select(r => r.Private / r.Public)):F1}×); first client: direct {Statistics.Median(rows.Select(r => r.PublicClient)):F2} s, relayed {Statistics.Median(rows.Select(r => r.PrivateClient)):F2} s");
    }

    /// <summary>Seconds from process start until reachable, and a first client's whole run (process start to exit), for each provider.</summary>
    private sealed record Round(double Public, double Private, double PublicClient, double PrivateClient);

    private static async Task<Round> RoundAsync(string model, string identities)
    {
        using var lab = new NetworkLab();
        var provider = PeerzProcess.AssemblyPath("node/Peerz.Provider", "peerz-provider");
        PeerzProcess StartProvider(LabHost host, string modelId, string blocks, params string[] extra) =>
            lab.Start(host, provider, ["--model", model, "--model-id", modelId, "--blocks", blocks, "--identity", Path.Combine(identities, $"{host.Namespace}.key"),
                "--listen", host.TcpAddress(Port), "--rebalance-seconds", "0", .. extra]);
        string Address(LabHost host, PeerzProcess process) => $"{host.TcpAddress(Port)}/p2p/{process.WaitForLine("ready ", Timeout).Split(' ')[1].Split("/p2p/")[1]}";

        // Two public relays, which are also the bootstrap peers and AutoNAT servers (they serve another model id).
        var firstHost = lab.AddPublicHost("relay1");
        var first = Address(firstHost, StartProvider(firstHost, "relays", "0:1", "--relay-service", "on"));
        var secondHost = lab.AddPublicHost("relay2");
        var second = Address(secondHost, StartProvider(secondHost, "relays", "0:1", "--relay-service", "on", "--bootstrap", first));
        string[] bootstrap = ["--bootstrap", first, second];

        var publicStart = Stopwatch.StartNew();
        var publicProvider = StartProvider(lab.AddPublicHost("public"), "tiny-public", "0:4", bootstrap);
        publicProvider.WaitForLine("ready ", Timeout);
        var publicReachable = publicStart.Elapsed.TotalSeconds;

        var privateStart = Stopwatch.StartNew();
        var privateProvider = StartProvider(lab.AddPrivateHost("home", NatKind.Cone), "tiny-home", "0:4", bootstrap);
        while (!privateProvider.WaitForLineContaining("announced addresses:", Timeout).Contains("/p2p-circuit", StringComparison.Ordinal))
        {
        }
        var privateReachable = privateStart.Elapsed.TotalSeconds;

        var client = lab.AddPrivateHost("client", NatKind.Symmetric);
        var cli = PeerzProcess.AssemblyPath("client/Peerz.Cli", "peerz");
        async Task<double> GenerateAsync(string modelId)
        {
            var watch = Stopwatch.StartNew();
            // The lab disposes its processes.
            var run = lab.Start(client, cli, ["generate", "--model", model, "--model-id", modelId, .. bootstrap, "--prompt", "Peerz", "--max-new-tokens", "4"]);
            if (await run.WaitForExitAsync(Timeout) != 0) throw new InvalidOperationException($"the client could not reach {modelId}:\n{run.Output}");
            return watch.Elapsed.TotalSeconds;
        }
        return new Round(publicReachable, privateReachable, await GenerateAsync("tiny-public"), await GenerateAsync("tiny-home"));
    }
}
