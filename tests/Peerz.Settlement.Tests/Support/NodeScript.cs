using System.Diagnostics;
using System.Text.Json.Nodes;
using Peerz.Testing;
using Peerz.Testing.Chain;

namespace Peerz.Settlement.Tests.Support;

/// <summary>Runs one of this project's js/ helper scripts under the repository's Node 22 with a JSON request on stdin.</summary>
public static class NodeScript
{
    public static async Task<JsonNode> RunAsync(string script, JsonNode request)
    {
        var node = Path.Combine(HardhatNode.NodeBin, "node");
        if (!File.Exists(node)) throw new InvalidOperationException($"{node} is missing: run `npm ci` at the repository root.");
        var start = new ProcessStartInfo(node, [Path.Combine(RepositoryRoot.Path, "tests", "Peerz.Settlement.Tests", "js", script)])
        {
            WorkingDirectory = RepositoryRoot.Path,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            await process.StandardInput.WriteAsync(request.ToJsonString().AsMemory(), cts.Token);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
            if (process.ExitCode != 0) throw new InvalidOperationException($"{script} exited with {process.ExitCode}: {await stderr}");
            return JsonNode.Parse(await stdout)!;
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
