using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Peerz.Integration.Tests;

/// <summary>
/// One of our executables (`peerz-provider`, `peerz`) as a real process, from the build output
/// copied beside the tests. It counts as started once it prints its ready line; killed on dispose.
/// </summary>
public sealed class PeerzProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private PeerzProcess(Process process) => _process = process;

    /// <summary>The line (on stdout) that said the process is ready.</summary>
    public string ReadyLine { get; private set; } = "";

    public string Output
    {
        get
        {
            lock (_output) return string.Join('\n', _output);
        }
    }

    /// <param name="assembly">e.g. "peerz-provider.dll"</param>
    /// <param name="readyPrefix">start of the stdout line that says the process serves, e.g. "ready "</param>
    public static async Task<PeerzProcess> StartAsync(string assembly, IEnumerable<string> arguments, string readyPrefix, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var started = new PeerzProcess(Process.Start(start) ?? throw new InvalidOperationException($"could not start {assembly}"));
        _ = started.CollectAsync(started._process.StandardError);
        try
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (await started._process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                started.Add(line);
                if (line.StartsWith(readyPrefix, StringComparison.Ordinal))
                {
                    started.ReadyLine = line;
                    _ = started.CollectAsync(started._process.StandardOutput);
                    return started;
                }
            }
            throw new InvalidOperationException($"{assembly} exited before it was ready:\n{started.Output}");
        }
        catch (OperationCanceledException)
        {
            await started.DisposeAsync();
            throw new TimeoutException($"{assembly} was not ready within {timeout.TotalSeconds:F0} s:\n{started.Output}");
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
    }

    /// <summary>The first group of the first output line matching <paramref name="pattern"/>, if any.</summary>
    public string? Find(Regex pattern)
    {
        lock (_output)
            return _output.Select(line => pattern.Match(line)).FirstOrDefault(m => m.Success)?.Groups[1].Value;
    }

    private void Add(string line)
    {
        lock (_output) _output.Add(line);
    }

    private async Task CollectAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line) Add(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
