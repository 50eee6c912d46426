using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Peerz.Testing;

namespace Peerz.P2P.Tests.Infrastructure;

/// <summary>
/// The js-libp2p reference peer (js/peer.mjs) as a child process driven by JSON lines; every wait is bounded,
/// and disposal kills the process tree.
/// </summary>
internal sealed class JsPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
    private readonly List<JsonObject> _seen = [];
    private readonly System.Text.StringBuilder _stderr = new();
    private int _nextId;

    private JsPeer(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line && line.StartsWith('{'))
            {
                _events.Writer.TryWrite(JsonNode.Parse(line)!.AsObject());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
    }

    public PeerId PeerId { get; private set; } = null!;

    public Multiaddr Address { get; private set; } = null!;

    public static Task<JsPeer> StartAsync(CancellationToken ct) => StartAsync("peer.mjs", [], ct);

    /// <summary>Starts another js/ script that speaks the same JSON lines (a "listening" event first).</summary>
    public static async Task<JsPeer> StartAsync(string script, IEnumerable<string> arguments, CancellationToken ct)
    {
        var peer = new JsPeer(Process.Start(NodeScript.StartInfo(NodeScript.TestScript("Peerz.P2P.Tests", script), arguments))!);
        peer._process.BeginOutputReadLine();
        peer._process.BeginErrorReadLine();
        var listening = await peer.WaitForEventAsync("listening", _ => true, ct);
        peer.PeerId = PeerId.Parse(listening["peerId"]!.GetValue<string>());
        peer.Address = Multiaddr.Parse(listening["addrs"]![0]!.GetValue<string>());
        return peer;
    }

    public async Task<JsonObject> CommandAsync(object command, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _nextId);
        var json = JsonSerializer.SerializeToNode(command)!.AsObject();
        json["id"] = id;
        await _process.StandardInput.WriteLineAsync(json.ToJsonString().AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        var result = await WaitForEventAsync("result", e => e["id"]?.GetValue<int>() == id, ct);
        if (!result["ok"]!.GetValue<bool>())
        {
            throw new InvalidOperationException($"js peer failed: {result["error"]}");
        }
        return result;
    }

    public async Task<JsonObject> WaitForEventAsync(string name, Func<JsonObject, bool> match, CancellationToken ct)
    {
        lock (_seen)
        {
            var earlier = _seen.FirstOrDefault(e => e["event"]?.GetValue<string>() == name && match(e));
            if (earlier is not null)
            {
                return earlier;
            }
        }
        try
        {
            while (true)
            {
                var next = await _events.Reader.ReadAsync(ct);
                lock (_seen)
                {
                    _seen.Add(next);
                }
                if (next["event"]?.GetValue<string>() == name && match(next))
                {
                    return next;
                }
            }
        }
        catch (OperationCanceledException)
        {
            string stderr;
            lock (_stderr)
            {
                stderr = _stderr.ToString();
            }
            throw new TimeoutException($"js peer: no '{name}' event in time. stderr:\n{stderr}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // Fall through to kill.
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
