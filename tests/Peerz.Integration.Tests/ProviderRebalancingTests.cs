using System.Collections.Concurrent;
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
using Xunit.Abstractions;

namespace Peerz.Integration.Tests;

/// <summary>
/// Providers that choose their own spans (peerz-provider without --blocks) on real libp2p hosts:
/// they join one after another where the swarm is weakest, and when one leaves and opens a gap,
/// another moves to cover it by Petals' rule, after which the swarm generates the local tokens.
/// </summary>
[Trait("Category", "Chain")]
public sealed class ProviderRebalancingTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    private const int SpanSize = 2;

    private static ServedSpan Load(Checkpoint checkpoint, int start)
    {
        var served = new ServedSpan("tiny", BlockSpan.Load(checkpoint, start, start + SpanSize), new ServingLimits());
        served.MeasureThroughput(16);
        return served;
    }

    /// <summary>As peerz-provider does without --blocks: read the swarm's announcements, take the weakest window.</summary>
    private static async Task<ProviderNode> JoinAsync(Checkpoint checkpoint, IReadOnlyList<Multiaddr> bootstrap)
    {
        var start = 0;
        if (bootstrap.Count > 0)
        {
            await using var swarm = new SwarmClient(bootstrap, NullLoggerFactory.Instance);
            await swarm.StartAsync(CancellationToken.None);
            var providers = await swarm.GetProvidersAsync("tiny", CancellationToken.None);
            start = SpanSelector.ChooseStart(SpanSelector.ThroughputPerBlock(checkpoint.Config.NumLayers, providers.Select(p => (p.Start, p.End, p.Throughput))), SpanSize);
        }
        var node = new ProviderNode(Load(checkpoint, start), new ProviderNodeOptions { Identity = Identity.Generate(), Bootstrap = bootstrap }, NullLoggerFactory.Instance);
        await node.StartAsync(CancellationToken.None);
        return node;
    }

    [Fact]
    public async Task When_a_provider_leaves_a_gap_another_moves_to_cover_it_by_the_rule()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var first = await JoinAsync(checkpoint, []);
        var bootstrap = first.ListenAddresses;
        var second = await JoinAsync(checkpoint, bootstrap);
        var third = await JoinAsync(checkpoint, bootstrap);
        var nodes = new List<ProviderNode> { first, second, third };
        using var stop = new CancellationTokenSource();
        var loops = new List<Task>();
        try
        {
            output.WriteLine($"joined: {string.Join(", ", nodes.Select(n => $"[{n.Served.Blocks.Start}, {n.Served.Blocks.End}) at {n.Served.Throughput:F0} tok/s"))}");
            // The first two split the model; the third joined one of the halves.
            Assert.Equal([0, 2], new[] { first.Served.Blocks.Start, second.Served.Blocks.Start }.Order());
            foreach (var node in nodes) await node.AnnounceAsync(CancellationToken.None);

            // The provider alone on its half leaves: that half is now a gap.
            var lone = nodes.Single(n => nodes.Count(m => m.Served.Blocks.Start == n.Served.Blocks.Start) == 1);
            var gap = lone.Served.Blocks.Start;
            await lone.DisposeAsync();
            lone.Served.Dispose();
            nodes.Remove(lone);

            var moves = new ConcurrentQueue<SpanMove>();
            foreach (var (node, index) in nodes.Select((n, i) => (n, i)))
            {
                var rebalancer = new SpanRebalancer(node, (s, _, _) => Task.Run(() => Load(checkpoint, s)), TimeSpan.FromSeconds(1),
                    NullLogger<SpanRebalancer>.Instance, new Random(index));
                rebalancer.Moved += moves.Enqueue;
                loops.Add(rebalancer.RunAsync(stop.Token));
            }
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!nodes.Any(n => n.Served.Blocks.Start == gap) && DateTime.UtcNow < deadline) await Task.Delay(100);
            await Task.Delay(TimeSpan.FromSeconds(3)); // let a colliding second move, if any, play out
            await stop.CancelAsync();
            await Task.WhenAll(loops);

            foreach (var move in moves) output.WriteLine($"moved [{move.From}, {move.From + move.Size}) -> [{move.To}, {move.To + move.Size}): bottleneck {move.Before:F0} -> {move.After:F0}");
            Assert.NotEmpty(moves);
            var cover = moves.First();
            Assert.Equal(gap, cover.To);
            Assert.Equal(0, cover.Before); // the gap: nobody served those blocks
            Assert.True(cover.After > 0);
            Assert.All(moves, move =>
            {
                Assert.True(SpanSelector.ShouldMove(move.OthersPerBlock, move.From, move.Size, move.Own));
                Assert.Equal(SpanSelector.ChooseStart(move.OthersPerBlock, move.Size), move.To);
            });
            Assert.Equal([0, 2], nodes.Select(n => n.Served.Blocks.Start).Order());
            foreach (var node in nodes) await node.AnnounceAsync(CancellationToken.None);

            // The swarm serves every block again: a client generates the local model's tokens.
            using var local = LocalModel.Load(model.Directory);
            int[] prompt = [1, 17, 42, 99];
            var options = new GenerationOptions { MaxNewTokens = 8 };
            var expected = await local.CreateGenerator().GenerateAsync(prompt, options).ToListAsync();
            await using var client = new SwarmClient(nodes[0].ListenAddresses, NullLoggerFactory.Instance);
            await client.StartAsync(CancellationToken.None);
            var pipeline = new DistributedBlockPipeline(new SpanRequest("tiny", 0, 4), client, client, new RoutePlanner(client.RoundTrip, new Random(2)),
                new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, NullLogger<DistributedBlockPipeline>.Instance);
            Assert.Equal(expected, await new TextGenerator(local.Head, pipeline).GenerateAsync(prompt, options).ToListAsync());
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(loops);
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
                node.Served.Dispose();
            }
        }
    }
}
