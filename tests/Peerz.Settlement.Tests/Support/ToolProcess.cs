using System.Diagnostics;

namespace Peerz.Settlement.Tests.Support;

/// <summary>What a finished process printed.</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs the peerz and peerz-settle executables built into this test project's output, as real processes.</summary>
public static class ToolProcess
{
    public static ProcessStartInfo StartInfo(string tool, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, tool + ".dll"), .. arguments])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Never let a developer's own PEERZ_* settings leak into the process under test.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("PEERZ_", StringComparison.Ordinal)).ToArray()) start.Environment.Remove(name);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return start;
    }

    public static async Task<ToolResult> RunAsync(string tool, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null, TimeSpan? timeout = null)
    {
        using var process = Process.Start(StartInfo(tool, arguments, environment))!;
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            if (stdin is not null) await process.StandardInput.WriteAsync(stdin.AsMemory(), cts.Token);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
            return new ToolResult(process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
