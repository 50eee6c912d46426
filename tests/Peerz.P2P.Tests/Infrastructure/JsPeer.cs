using System.Text.Json;
using System.Text.Json.Nodes;

namespace Peerz.P2P.Tests.Infrastructure;

/// <summary>
/// The js-libp2p reference peer (js/peer.mjs) as a child process driven by JSON lines; every wait is bounded,
/// and disposal kills the process tree.
/// </summary>
internal sealed class JsPeer : IAsyncDisposable
{
    private readonly JsonLinesProcess _process;
    private readonly List<JsonObject> _seen = [];
    private int _nextId;

    private JsPeer(JsonLinesProcess process) => _process = process;

    public PeerId PeerId { get; private set; } = null!;

    public Multiaddr Address { get; private set; } = null!;

    public static Task<JsPeer> StartAsync(CancellationToken ct) => StartAsync("peer.mjs", [], ct);

    /// <summary>Starts another js/ script that speaks the same JSON lines (a "listening" event first).</summary>
    public static async Task<JsPeer> StartAsync(string script, IEnumerable<string> arguments, CancellationToken ct)
    {
        var peer = new JsPeer(JsonLinesProcess.Start(script, arguments, exitGrace: TimeSpan.FromSeconds(5)));
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
        await _process.WriteAsync(json, ct);
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
                var next = await _process.ReadAsync(ct);
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
            throw new TimeoutException($"js peer: no '{name}' event in time. stderr:\n{_process.Stderr}");
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
