using System.Diagnostics;
using System.Text;
using Peerz.Testing.Processes;

namespace Peerz.Settlement.Tests.Support;

/// <summary>A running `peerz-settle` process; its output is kept for assertion messages; disposing kills it.</summary>
public sealed class SettleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SettleProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts peerz-settle and waits until it prints that its API is up.</summary>
    public static async Task<SettleProcess> StartAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = new Process { StartInfo = ToolProcess.StartInfo("peerz-settle", arguments, environment), EnableRaisingEvents = true };
        var settle = new SettleProcess(process);
        process.OutputDataReceived += (_, e) => settle.Append(e.Data, isReadyLine: e.Data?.Contains(", API on ", StringComparison.Ordinal) == true);
        process.ErrorDataReceived += (_, e) => settle.Append(e.Data, isReadyLine: false);
        process.Exited += (_, _) => settle._ready.TrySetException(new InvalidOperationException("peerz-settle exited before it was ready:\n" + settle.Output));
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await settle._ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return settle;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line, bool isReadyLine)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (isReadyLine) _ready.TrySetResult();
    }
}
