using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Peerz.Testing;

namespace Peerz.P2P.Tests.Infrastructure;

/// <summary>
/// A js/ reference script of this project run with Node and driven by JSON lines: objects written to its stdin, every
/// stdout line that is a JSON object queued for <see cref="ReadAsync"/>, stderr kept for failure messages. Disposal
/// closes stdin, gives the script <c>exitGrace</c> to exit, then kills the process tree.
/// </summary>
internal sealed class JsonLinesProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TimeSpan _exitGrace;
    private readonly Channel<JsonObject> _lines = Channel.CreateUnbounded<JsonObject>();
    private readonly StringBuilder _stderr = new();

    private JsonLinesProcess(Process process, TimeSpan exitGrace)
    {
        _process = process;
        _exitGrace = exitGrace;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line && line.StartsWith('{')) _lines.Writer.TryWrite(JsonNode.Parse(line)!.AsObject());
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>What the script printed on stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    public static JsonLinesProcess Start(string script, IEnumerable<string> arguments, TimeSpan exitGrace) =>
        new(Process.Start(NodeScript.StartInfo(NodeScript.TestScript("Peerz.P2P.Tests", script), arguments))
            ?? throw new InvalidOperationException($"cannot start {script}"), exitGrace);

    public async Task WriteAsync(JsonObject message, CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync(message.ToJsonString().AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
    }

    /// <summary>The next JSON object the script printed; cancellation is the caller's bound.</summary>
    public ValueTask<JsonObject> ReadAsync(CancellationToken ct) => _lines.Reader.ReadAsync(ct);

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var grace = new CancellationTokenSource(_exitGrace);
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // Fall through to kill.
        }
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
