using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Discovery;
using Peerz.Model;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Node.Serving;
using Peerz.Node.Swarm;
using Peerz.P2P;

namespace Peerz.Integration.Tests;

/// <summary>
/// The whole inference path on loopback: providers on real libp2p hosts (TCP, noise, yamux)
/// announce signed records in the Peerz DHT; a client discovers them, routes, and generates.
/// </summary>
public sealed class SwarmInferenceTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static readonly int[] Prompt = [1, 17, 42, 99];

    private async Task<ProviderNode> StartProviderAsync(Checkpoint checkpoint, int start, int end, IReadOnlyList<Multiaddr> bootstrap)
    {
        var served = new ServedSpan("tiny", BlockSpan.Load(checkpoint, start, end), new ServingLimits());
        served.MeasureThroughput(16);
        var node = new ProviderNode(served, new ProviderNodeOptions { Identity = Identity.Generate(), Bootstrap = bootstrap }, NullLoggerFactory.Instance);
        await node.StartAsync(CancellationToken.None);
        return node;
    }

    [Fact]
    public async Task A_client_discovers_providers_in_the_dht_and_generates_the_local_tokens_even_when_one_leaves()
    {
        using var local = LocalModel.Load(model.Directory);
        var options = new GenerationOptions { MaxNewTokens = 20 };
        var expected = await local.CreateGenerator().GenerateAsync(Prompt, options).ToListAsync();

        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var first = await StartProviderAsync(checkpoint, 0, 2, []);
        var bootstrap = first.ListenAddresses;
        await using var second = await StartProviderAsync(checkpoint, 2, 4, bootstrap);
        await using var third = await StartProviderAsync(checkpoint, 1, 4, bootstrap);
        // Re-announce once everyone is connected, so every record reaches the whole (tiny) swarm.
        foreach (var node in new[] { first, second, third }) await node.AnnounceAsync(CancellationToken.None);

        await using var client = new SwarmClient(bootstrap, NullLoggerFactory.Instance);
        await client.StartAsync(CancellationToken.None);
        var providers = await client.GetProvidersAsync("tiny", CancellationToken.None);
        Assert.Equal(3, providers.Count);

        var pipeline = new DistributedBlockPipeline(new SpanRequest("tiny", 0, 4), client, client, new RoutePlanner(client.RoundTrip, new Random(2)),
            new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, NullLogger<DistributedBlockPipeline>.Instance);
        var routes = new List<IReadOnlyList<RouteHop>>();
        pipeline.RouteChanged += routes.Add;
        var nodes = new Dictionary<string, ProviderNode> { [first.PeerId.ToString()] = first, [second.PeerId.ToString()] = second, [third.PeerId.ToString()] = third };

        var generated = new List<int>();
        await foreach (var token in new TextGenerator(local.Head, pipeline).GenerateAsync(Prompt, options))
        {
            generated.Add(token);
            if (generated.Count == 8)
                await nodes[routes[^1][^1].Provider.PeerId].DisposeAsync(); // the provider of the last block leaves mid-session
        }
        Assert.Equal(expected, generated);
        Assert.Equal(2, routes.Count);
        Assert.Equal([0, 4], new[] { routes[1][0].Start, routes[1][^1].End });
    }
}
