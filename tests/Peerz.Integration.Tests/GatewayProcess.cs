using System.Text.RegularExpressions;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests;

/// <summary>A real `peerz serve` process (the gateway with its pages) on loopback.</summary>
public static partial class GatewayProcess
{
    /// <summary>Starts `peerz serve ARGUMENTS`; its "serving MODEL on URL" line gives the URL of its API and pages.</summary>
    public static (PeerzProcess Process, string Url) Start(params string[] arguments)
    {
        var process = PeerzProcess.Start(PeerzProcess.AssemblyPath("client/Peerz.Cli", "peerz"), ["serve", .. arguments]);
        try
        {
            return (process, ServingLine().Match(process.WaitForLine("serving ", TimeSpan.FromSeconds(60))).Groups[1].Value);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"^serving .+? on (http://\S+)")]
    private static partial Regex ServingLine();
}
