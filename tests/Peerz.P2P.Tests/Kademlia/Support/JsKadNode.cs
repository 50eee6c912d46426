using System.Text.Json;
using System.Text.Json.Nodes;
using Peerz.P2P.Tests.Infrastructure;

namespace Peerz.P2P.Tests.Kademlia.Support;

/// <summary>
/// js-libp2p with @libp2p/kad-dht (js/kad-node.mjs) as a child process, driven by one JSON command per line.
/// Every wait is bounded; disposal kills the process.
/// </summary>
internal sealed class JsKadNode : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(45);
    private readonly JsonLinesProcess _process;
    private int _nextId;

    private JsKadNode(JsonLinesProcess process) => _process = process;

    public PeerId PeerId { get; private set; } = null!;
    /// <summary>Listen address including /p2p/&lt;peer id&gt;.</summary>
    public Multiaddr Address { get; private set; } = null!;

    public static async Task<JsKadNode> StartAsync(string protocolId)
    {
        // Nothing to wind down: the node is killed at once.
        var node = new JsKadNode(JsonLinesProcess.Start("kad-node.mjs", [protocolId], exitGrace: TimeSpan.Zero));
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
        await _process.WriteAsync(json, CancellationToken.None);
        while (true)
        {
            var line = await NextLineAsync();
            if (line["id"]?.GetValue<int>() != id)
                continue;
            return line["ok"]!.GetValue<bool>() ? line : throw new JsCommandException(line["error"]?.ToString() ?? "unknown js error");
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private async Task<JsonObject> NextLineAsync()
    {
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            return await _process.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"js kad node did not answer within {CommandTimeout}; stderr: {_process.Stderr}");
        }
    }
}

internal sealed class JsCommandException(string message) : Exception(message);
