using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Peerz.Chain.Tests.Support;

/// <summary>Runs a test helper script under the repository's Node 22 with one JSON request on stdin.</summary>
public static class NodeScript
{
    public static async Task<JsonNode> RunAsync(string script, JsonNode request, TimeSpan? timeout = null)
    {
        var node = Path.Combine(RepoPaths.NodeBin, "node");
        if (!File.Exists(node))
        {
            throw new InvalidOperationException($"{node} is missing: run `npm ci` at the repository root.");
        }

        var start = new ProcessStartInfo(node, [RepoPaths.ScriptPath(script)])
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PATH"] = RepoPaths.NodeBin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            await process.StandardInput.WriteAsync(request.ToJsonString().AsMemory(), cts.Token);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{script} exited with {process.ExitCode}: {await stderr}");
            }

            return JsonNode.Parse(await stdout)!;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
