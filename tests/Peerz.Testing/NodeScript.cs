using System.Diagnostics;

namespace Peerz.Testing;

/// <summary>Runs a JavaScript file with the repository's Node 22 (node_modules/.bin/node, from `npm ci`), bounded in time.</summary>
public static class NodeScript
{
    public static string NodePath => Path.Combine(RepositoryRoot.Path, "node_modules", ".bin", "node");

    public static async Task<NodeScriptResult> RunAsync(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(NodePath) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot.Path };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {NodePath}");
        using var deadline = new CancellationTokenSource(timeout);
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Path.GetFileName(script)} did not finish within {timeout.TotalSeconds:F0} s");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        return new NodeScriptResult(process.ExitCode, await output, await error);
    }
}

public sealed record NodeScriptResult(int ExitCode, string Output, string Error);
