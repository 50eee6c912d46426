using System.Text.RegularExpressions;
using Peerz.P2P;

namespace Peerz.Integration.Tests;

/// <summary>A real `peerz-provider` process serving blocks of the tiny model on loopback.</summary>
public static partial class ProviderProcess
{
    /// <summary>Starts a provider; its "ready ADDRESS blocks S:E" line gives the address to bootstrap from.</summary>
    public static async Task<(PeerzProcess Process, Multiaddr Address)> StartAsync(string modelDirectory, string identityFile, string blocks, params string[] extra)
    {
        var process = await PeerzProcess.StartAsync("peerz-provider.dll",
            ["--model", modelDirectory, "--model-id", "tiny", "--blocks", blocks, "--identity", identityFile, .. extra], "ready ", TimeSpan.FromSeconds(60));
        return (process, Multiaddr.Parse(process.ReadyLine.Split(' ')[1]));
    }

    /// <summary>The bound --metrics-listen URL, as the provider logs it ("metrics on http://...").</summary>
    [GeneratedRegex(@"metrics on (http://\S+)")]
    public static partial Regex MetricsLine();
}
