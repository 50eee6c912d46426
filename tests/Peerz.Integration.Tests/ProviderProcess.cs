using System.Text.RegularExpressions;
using Peerz.P2P;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests;

/// <summary>A real `peerz-provider` process serving blocks of a tiny model on loopback.</summary>
public static partial class ProviderProcess
{
    /// <summary>Starts a provider; its "ready ADDRESS blocks S:E" line gives the address to bootstrap from.</summary>
    public static (PeerzProcess Process, Multiaddr Address) Start(string modelDirectory, string identityFile, string blocks, params string[] extra)
    {
        var process = PeerzProcess.Start(PeerzProcess.AssemblyPath("node/Peerz.Provider", "peerz-provider"),
            ["--model", modelDirectory, "--model-id", "tiny", "--blocks", blocks, "--identity", identityFile, .. extra]);
        try
        {
            return (process, Multiaddr.Parse(process.WaitForLine("ready ", TimeSpan.FromSeconds(60)).Split(' ')[1]));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>The bound --metrics-listen URL, as the provider logs it ("metrics on http://..."), if it did.</summary>
    public static string? MetricsUrl(PeerzProcess provider) => MetricsLine().Match(provider.Output) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex(@"metrics on (http://\S+)")]
    private static partial Regex MetricsLine();
}
