using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Peerz.Testing;

namespace Peerz.P2P.Tests.Kademlia.Support;

/// <summary>
/// js-libp2p with @libp2p/kad-dht (js/kad-node.mjs) as a child process, driven by one JSON command per line.
/// Every wait is bounded; disposal kills the process.
/// </summary>
internal sealed class JsKadNode : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(45);
    private readonly Process _process;
    private readonly Channel<JsonObject> _lines = Channel.CreateUnbounded<JsonObject>();
    private readonly System.Text.StringBuilder _stderr = new();
    private int _nextId;

    private JsKadNode(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line && line.StartsWith('{'))
                _lines.Writer.TryWrite(JsonNode.Parse(line)!.AsObject());
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
                _stderr.AppendLine(e.Data);
        };
    }

    public PeerId PeerId { get; private set; } = null!;
    /// <summary>Listen address including /p2p/&lt;peer id&gt;.</summary>
    public Multiaddr Address { get; private set; } = null!;

    public static async Task<JsKadNode> StartAsync(string protocolId)
    {
        var node = new JsKadNode(Process.Start(NodeScript.StartInfo(NodeScript.TestScript("Peerz.P2P.Tests", "kad-node.mjs"), [protocolId]))!);
        node._process.BeginOutputReadLine();
        node._process.BeginErrorReadLine();
        var hello = await node.NextLineAsync();
        node.PeerId = PeerId.Parse(hello["peerId"]!.GetValue<string>());
        node.Address = Multiaddr.Parse(hello["addrs"]![0]!.GetValue<string>());
        return node;
    }

    /// <summary>Runs a command; a js-side failure becomes an exception carrying the js error.</summary>
    public async Task<JsonObject> CommandAsync(string cmd, object? args = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var json = args is null ? [] : JsonSerializer.SerializeToNode(args)!.AsObject();
        json["id"] = id;
        json["cmd"] = cmd;
        await _process.StandardInput.WriteLineAsync(json.ToJsonString());
        await _process.StandardInput.FlushAsync();
        while (true)
        {
            var line = await NextLineAsync();
            if (line["id"]?.GetValue<int>() != id)
                continue;
            return line["ok"]!.GetValue<bool>() ? line : throw new JsCommandException(line["error"]?.ToString() ?? "unknown js error");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
    }

    private async Task<JsonObject> NextLineAsync()
    {
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            return await _lines.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            lock (_stderr)
                throw new TimeoutException($"js kad node did not answer within {CommandTimeout}; stderr: {_stderr}");
        }
    }
}

internal sealed class JsCommandException(string message) : Exception(message);
