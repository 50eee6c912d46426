using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;

namespace Peerz.Node.Tests;

/// <summary>Generation through a chain of real loopback providers, with providers failing mid-session.</summary>
public sealed class FaultTolerantInferenceTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static readonly int[] Prompt = [1, 17, 42, 99];

    private static DistributedBlockPipeline Pipeline(LoopbackSwarm swarm, int seed, TimeSpan? timeout = null) => new(
        new SpanRequest("tiny", 0, 4), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(seed)),
        new RemoteCallOptions { RequestTimeout = timeout ?? TimeSpan.FromSeconds(20) }, NullLogger<DistributedBlockPipeline>.Instance);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Generation_survives_a_provider_that_crashes_or_stalls_mid_session_with_identical_tokens(bool stall)
    {
        using var local = LocalModel.Load(model.Directory);
        var options = new GenerationOptions { MaxNewTokens = 24 };
        var expected = await local.CreateGenerator().GenerateAsync(Prompt, options).ToListAsync();

        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var a = new LoopbackProvider("a", checkpoint, 0, 2);
        await using var b = new LoopbackProvider("b", checkpoint, 2, 4);
        await using var c = new LoopbackProvider("c", checkpoint, 1, 4);
        var swarm = new LoopbackSwarm([a, b, c]);
        var pipeline = Pipeline(swarm, seed: 1, timeout: TimeSpan.FromSeconds(stall ? 3 : 20));
        var routes = new List<IReadOnlyList<RouteHop>>();
        pipeline.RouteChanged += routes.Add;

        var generated = new List<int>();
        await foreach (var token in new TextGenerator(local.Head, pipeline).GenerateAsync(Prompt, options))
        {
            generated.Add(token);
            if (generated.Count == 10)
            {
                // Fail the provider that serves the last block right now.
                var victim = new[] { b, c }.Single(p => p.Name == routes[^1][^1].Provider.PeerId);
                if (stall) victim.Stall();
                else victim.Crash();
            }
        }
        Assert.Equal(expected, generated);
        Assert.Equal(2, routes.Count);
        Assert.DoesNotContain(routes[1], hop => hop.Provider.PeerId == routes[0][^1].Provider.PeerId);
    }

    [Fact]
    public async Task Routes_cover_all_blocks_and_spread_over_equal_providers()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var a = new LoopbackProvider("a", checkpoint, 0, 2);
        await using var b = new LoopbackProvider("b", checkpoint, 2, 4);
        await using var c = new LoopbackProvider("c", checkpoint, 2, 4);
        var swarm = new LoopbackSwarm([a, b, c]);
        var planner = new RoutePlanner(swarm.RoundTrip, new Random(3));
        var records = await swarm.GetProvidersAsync("tiny", default);
        var lastHops = Enumerable.Range(0, 200).Select(_ => planner.Plan(records, "tiny", 0, 4)).Select(route =>
        {
            Assert.Equal([(0, 2), (2, 4)], route.Select(h => (h.Start, h.End)));
            return route[^1].Provider.PeerId;
        }).ToList();
        // Two equal providers: each should get a fair share (binomial, n = 200: 3 sigma is ±21).
        Assert.InRange(lastHops.Count(id => id == "b"), 70, 130);
    }

    [Fact]
    public async Task A_missing_block_is_reported_by_number()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var a = new LoopbackProvider("a", checkpoint, 0, 2);
        var error = await Assert.ThrowsAsync<NoRouteException>(async () => await Pipeline(new LoopbackSwarm([a]), 1).OpenSessionAsync(1, 8, default));
        Assert.Equal(2, error.MissingBlock);
    }
}
