using System.Diagnostics;

namespace Peerz.Testing.Processes;

/// <summary>
/// Runs a program to its end with its output captured, bounded in time; the one place tests start short-lived
/// processes (Node scripts, Hardhat tasks, the CLIs, the lab's system tools). <see cref="PeerzProcess"/> is its
/// long-running counterpart and starts from the same <see cref="StartInfo"/>.
/// </summary>
public static class ProcessRun
{
    /// <summary>Start info with every stream redirected, and without the developer's own PEERZ_* settings, which must not leak into a process under test.</summary>
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("PEERZ_", StringComparison.Ordinal)).ToArray()) start.Environment.Remove(name);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return start;
    }

    public static Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, string? stdin = null) =>
        RunAsync(StartInfo(fileName, arguments, environment, workingDirectory), timeout, stdin);

    // ConfigureAwait(false): synchronous callers (the lab, fixtures built in constructors) block on this under xunit's
    // bounded synchronization context.
    /// <summary>Runs <paramref name="start"/> (its streams redirected), writes <paramref name="stdin"/> if any and closes the input; kills the process tree when it outlives <paramref name="timeout"/>.</summary>
    public static async Task<ProcessResult> RunAsync(ProcessStartInfo start, TimeSpan timeout, string? stdin = null)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {start.FileName}");
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
            var error = process.StandardError.ReadToEndAsync(deadline.Token);
            if (start.RedirectStandardInput)
            {
                if (stdin is not null) await process.StandardInput.WriteAsync(stdin.AsMemory(), deadline.Token).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return new ProcessResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"{Path.GetFileName(start.FileName)} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:F0} s");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
