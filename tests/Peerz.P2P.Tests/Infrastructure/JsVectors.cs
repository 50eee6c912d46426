using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Peerz.P2P.Tests.Infrastructure;

/// <summary>Runs js/vectors.mjs (js-libp2p's @libp2p/crypto, @libp2p/peer-id, @multiformats/multiaddr) for reference values.</summary>
internal static class JsVectors
{
    public static async Task<JsonObject> ComputeAsync(byte[] seed, byte[] message, string[] multiaddrs)
    {
        var input = JsonSerializer.Serialize(new { seed = Convert.ToHexStringLower(seed), message = Convert.ToHexStringLower(message), multiaddrs });
        var start = new ProcessStartInfo(RepoPaths.Node) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        start.ArgumentList.Add(RepoPaths.Script("vectors.mjs"));
        start.ArgumentList.Add(input);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        Assert.True(process.ExitCode == 0, await error);
        return JsonNode.Parse(await output)!.AsObject();
    }
}
