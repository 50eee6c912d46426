using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Discovery;
using Peerz.Model.Generation;
using Peerz.Node.Serving;
using Peerz.Node.Swarm;
using Peerz.P2P;

namespace Peerz.Bench.Pipeline;

/// <summary>
/// The providers of a push setup: fresh libp2p hosts (so no connection is shared with another setup) serving the
/// spans already loaded for the plain setups, each behind its own emulated link. The client and the other providers
/// reach a provider only through its link, so a push from A to B crosses B's link like the client's traffic does.
/// </summary>
public sealed class PushSwarm : IAsyncDisposable
{
    private readonly List<ProviderNode> _nodes = [];
    private readonly List<LinkEmulator> _links = [];
    private StaticSwarm? _client;

    private PushSwarm()
    {
    }

    /// <summary>A client pipeline with server-to-server push over this setup's providers.</summary>
    public IBlockPipeline Pipeline { get; private set; } = null!;

    public static async Task<PushSwarm> StartAsync(IReadOnlyList<ServedSpan> spans, int layers, TimeSpan roundTrip, double bitsPerSecond)
    {
        var swarm = new PushSwarm();
        var records = new List<ProviderRecord>();
        foreach (var served in spans)
        {
            var node = new ProviderNode(served, new ProviderNodeOptions { Identity = Identity.Generate() }, NullLoggerFactory.Instance);
            await node.StartAsync(CancellationToken.None);
            swarm._nodes.Add(node);
            var link = new LinkEmulator(PipelineBenchmark.Endpoint(node), roundTrip / 2, bitsPerSecond);
            swarm._links.Add(link);
            records.Add(new ProviderRecord
            {
                PeerId = node.PeerId.ToString(),
                ModelId = served.ModelId,
                Start = served.Blocks.Start,
                End = served.Blocks.End,
                Throughput = served.Throughput,
                Addresses = [$"/ip4/{link.EndPoint.Address}/tcp/{link.EndPoint.Port}/p2p/{node.PeerId}"],
            });
        }
        swarm._client = new StaticSwarm(records, TimeSpan.FromMilliseconds(1), new Libp2pHostOptions().MaxReceiveWindow);
        await swarm._client.StartAsync(CancellationToken.None);
        swarm.Pipeline = new DistributedBlockPipeline(new SpanRequest(spans[0].ModelId, 0, layers), swarm._client, swarm._client, new RoutePlanner(swarm._client.RoundTrip, new Random(1)),
            new RemoteCallOptions { RequestTimeout = TimeSpan.FromMinutes(2) }, NullLogger<DistributedBlockPipeline>.Instance, push: new PushRouting());
        return swarm;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        foreach (var link in _links) await link.DisposeAsync();
        foreach (var node in _nodes) await node.DisposeAsync();
    }
}
