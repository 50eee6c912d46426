using Peerz.Testing.Network;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests.Nat;

/// <summary>A provider, relay or client process in the lab: where it runs, and its libp2p peer id (providers).</summary>
public sealed record LabPeer(LabHost Host, PeerzProcess Process, string PeerId, string Address);

/// <summary>
/// A Peerz swarm in a <see cref="NetworkLab"/>, unpaid (no chain): public relays that are also the bootstrap peers and
/// AutoNAT servers (they serve one block of another model id, so clients never route through them), providers of
/// the tiny model anywhere in the lab, and `peerz generate` clients. All are real processes from the build output.
/// </summary>
public sealed class LabSwarm(NetworkLab lab, string modelDirectory) : IDisposable
{
    public const string RelayModelId = "relays";
    public const int Port = 4001;
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);
    private readonly string _identities = TempDirectory.Create("nat-identities");
    private readonly List<LabPeer> _relays = [];

    public NetworkLab Lab => lab;

    public IReadOnlyList<string> Bootstrap => [.. _relays.Select(r => r.Address)];

    /// <summary>A public provider that relays (--relay-service on); it bootstraps from the relays started before it.</summary>
    public LabPeer StartRelay(LabHost host)
    {
        var relay = StartProvider(host, RelayModelId, "0:1", "--relay-service", "on");
        _relays.Add(relay);
        return relay;
    }

    /// <summary>A provider of <paramref name="modelId"/> on <paramref name="host"/>, joined through the relays.</summary>
    public LabPeer StartProvider(LabHost host, string modelId, string blocks, params string[] extra)
    {
        string[] bootstrap = _relays.Count == 0 ? [] : ["--bootstrap", .. Bootstrap];
        var process = lab.Start(host, PeerzProcess.AssemblyPath("node/Peerz.Provider", "peerz-provider"),
            ["--model", modelDirectory, "--model-id", modelId, "--blocks", blocks, "--identity", Path.Combine(_identities, $"{host.Role}.key"),
             "--listen", host.TcpAddress(Port), "--rebalance-seconds", "0", .. bootstrap, .. extra]);
        // "ready /ip4/A/tcp/P/p2p/ID blocks S:E"
        var peerId = process.WaitForLine("ready ", Startup).Split(' ')[1].Split("/p2p/")[1];
        return new LabPeer(host, process, peerId, $"{host.TcpAddress(Port)}/p2p/{peerId}");
    }

    /// <summary>
    /// Waits until <paramref name="provider"/> has announced (in its DHT record) circuit addresses on at least
    /// <paramref name="relays"/> relays: from then on a client can reach it. Returns the announcement line.
    /// </summary>
    public static string WaitUntilReachableThroughRelays(LabPeer provider, int relays, TimeSpan timeout) =>
        provider.Process.WaitForPrintedLine(
            line => line.Contains("announced addresses:", StringComparison.Ordinal) && line.Split("/p2p-circuit").Length - 1 >= relays,
            $"announcing circuit addresses on {relays} relay(s)", timeout);

    /// <summary>
    /// `peerz generate` in <paramref name="host"/>'s namespace, greedy, through the swarm; it listens for hole punching, and
    /// logs its discovery, dials and reroutes (--verbose) so a failed test shows what the client saw.
    /// </summary>
    public PeerzProcess Generate(LabHost host, string modelId, int tokens) =>
        lab.Start(host, PeerzProcess.AssemblyPath("client/Peerz.Cli", "peerz"),
            ["generate", "--verbose", "--model", modelDirectory, "--model-id", modelId, "--bootstrap", .. Bootstrap, "--listen", host.TcpAddress(Port + 1),
             "--prompt", Prompt, "--max-new-tokens", tokens.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    public const string Prompt = "Peerz behind a NAT:";

    /// <summary>The same generation with every block in one process (`peerz generate --local`), outside the lab.</summary>
    public static async Task<string> GenerateLocallyAsync(string modelDirectory, int tokens)
    {
        using var local = PeerzProcess.Start(PeerzProcess.AssemblyPath("client/Peerz.Cli", "peerz"),
            ["generate", "--local", "--model", modelDirectory, "--model-id", "tiny", "--prompt", Prompt, "--max-new-tokens", tokens.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(await local.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, local.Output);
        return GeneratedText(local);
    }

    /// <summary>
    /// What a generate run printed on stdout: the prompt and the text after it. Lines are collected per stream, so the
    /// client's stderr lines ("route: …", progress, --verbose log lines) never split stdout's text and are dropped here.
    /// </summary>
    public static string GeneratedText(PeerzProcess generate)
    {
        string[] stderrPrefixes = ["route: ", "trce: ", "dbug: ", "info: ", "warn: ", "fail: ", "crit: "];
        var lines = generate.Output.Split('\n').Where(l => !stderrPrefixes.Any(p => l.StartsWith(p, StringComparison.Ordinal))).ToList();
        var start = lines.FindIndex(l => l.StartsWith(Prompt, StringComparison.Ordinal));
        Assert.True(start >= 0, $"no generated text in:\n{generate.Output}");
        return string.Join('\n', lines.Skip(start));
    }

    /// <summary>The relay a provider logged an inference stream coming through ("… through relay ID (…)"), if any.</summary>
    public static string? RelayOfInferenceStream(LabPeer provider) =>
        provider.Process.Output.Split('\n').FirstOrDefault(l => l.Contains("inference stream from", StringComparison.Ordinal)) is { } line
            ? line.Split(" through relay ")[1].Split(' ')[0]
            : null;

    public void Dispose() => TempDirectory.Delete(_identities);
}
