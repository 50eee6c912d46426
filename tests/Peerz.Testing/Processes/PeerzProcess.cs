using System.Collections.Concurrent;
using System.Diagnostics;

namespace Peerz.Testing.Processes;

/// <summary>
/// One of the repository's executables (peerz, peerz-provider, …) run as a real child process from its build
/// output, with its output lines collected. Disposing kills the whole process tree.
/// </summary>
public sealed class PeerzProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly ConcurrentQueue<string> _all = new();
    private readonly ConcurrentQueue<string> _stdout = new();
    private int _openStreams = 2;

    private PeerzProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) _stdout.Enqueue(e.Data);
            Collect(e.Data);
        };
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything printed so far (stdout and stderr, in arrival order).</summary>
    public string Output => string.Join('\n', _all);

    /// <summary>What was printed on standard output alone (e.g. generated text without the log and progress lines of stderr).</summary>
    public string StandardOutput => string.Join('\n', _stdout);

    public bool HasExited => _process.HasExited;

    /// <summary>The operating system's process id (for tests that signal the process from another program).</summary>
    public int Id => _process.Id;

    /// <summary>The build output of <paramref name="assemblyName"/> from <paramref name="projectDirectory"/>, in the test's own configuration.</summary>
    public static string AssemblyPath(string projectDirectory, string assemblyName)
    {
        // The tests run from …/bin/<Configuration>/<tfm>/: the executables were built the same way.
        var tfmDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.Combine(RepositoryRoot.Path, projectDirectory, "bin", tfmDirectory.Parent!.Name, tfmDirectory.Name, assemblyName + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; build the solution first", path);
    }

    public static PeerzProcess Start(string assemblyPath, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        StartProgram("dotnet", [assemblyPath, .. arguments], environment);

    /// <summary>Any program (e.g. <c>bash scripts/run.sh</c>), optionally in another working directory.</summary>
    public static PeerzProcess StartProgram(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null) =>
        new(Process.Start(ProcessRun.StartInfo(fileName, arguments, environment, workingDirectory)) ?? throw new InvalidOperationException($"cannot start {fileName}"));

    /// <summary>Sends SIGTERM (what Ctrl-C-like stops look like to a script's traps) and leaves the process to exit on its own.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill?.WaitForExit();
    }

    /// <summary>Waits for an output line starting with <paramref name="prefix"/> and returns it.</summary>
    public string WaitForLine(string prefix, TimeSpan timeout) =>
        WaitFor(line => line.StartsWith(prefix, StringComparison.Ordinal), $"starting with '{prefix}'", timeout);

    /// <summary>Waits for an output line containing <paramref name="text"/> (log lines start with a level and category) and returns it.</summary>
    public string WaitForLineContaining(string text, TimeSpan timeout) =>
        WaitFor(line => line.Contains(text, StringComparison.Ordinal), $"containing '{text}'", timeout);

    /// <summary>
    /// Waits until any line printed so far, before or after this call, satisfies <paramref name="matches"/>, and returns
    /// the latest such line. Unlike <see cref="WaitForLine"/> it consumes nothing, so it finds a line that came out
    /// before a line waited for earlier (log lines of background work race with the "ready" line).
    /// </summary>
    public string WaitForPrintedLine(Func<string, bool> matches, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_all.LastOrDefault(matches) is { } line) return line;
            if (_lines.IsAddingCompleted && _all.LastOrDefault(matches) is null)
                throw new TimeoutException($"no line {what} before its output ended; output so far:\n{Output}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no line {what} within {timeout.TotalSeconds:F0} s; output so far:\n{Output}");
            Thread.Sleep(50);
        }
    }

    public string WaitForPrintedLineContaining(string text, TimeSpan timeout) =>
        WaitForPrintedLine(line => line.Contains(text, StringComparison.Ordinal), $"containing '{text}'", timeout);

    private string WaitFor(Func<string, bool> matches, string what, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = _lines.Take(cts.Token);
                if (matches(line)) return line;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            var why = _lines.IsAddingCompleted ? "before its output ended" : $"within {timeout.TotalSeconds:F0} s";
            throw new TimeoutException($"no line {what} {why}; output so far:\n{Output}");
        }
    }

    /// <summary>Waits for the process to exit on its own and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the process did not exit within {timeout.TotalSeconds:F0} s; output so far:\n{Output}");
        }
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no cleanup code in the process runs.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        _lines.Dispose();
    }

    private void Collect(string? line)
    {
        try
        {
            if (line is not null)
            {
                _all.Enqueue(line);
                _lines.Add(line);
            }
            // Both streams closed: no line can come any more, so a waiter fails at once instead of at its timeout.
            else if (Interlocked.Decrement(ref _openStreams) == 0)
            {
                _lines.CompleteAdding();
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            // Output that arrives while the process is being disposed is not waited for.
        }
    }
}
