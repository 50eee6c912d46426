using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;

namespace Peerz.Node.Tests;

/// <summary>
/// A connection that breaks under a live provider, as when the relay carrying it dies: over a relayed connection the
/// client gives the provider another chance through another path; over a direct one it leaves the provider.
/// </summary>
public sealed class RelayedFailureTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static readonly int[] Prompt = [1, 17, 42, 99];
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 12 };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_broken_connection_to_the_only_provider_is_survived_only_when_it_was_relayed(bool relayed)
    {
        using var local = LocalModel.Load(model.Directory);
        var expected = await local.CreateGenerator().GenerateAsync(Prompt, Greedy).ToListAsync();
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var providers = await Libp2pProviders.StartAsync(checkpoint);
        var only = await providers.AddAsync(0, 4);
        if (relayed) providers.Relayed.Add(only.PeerId.ToString());
        var pipeline = new DistributedBlockPipeline(new SpanRequest("tiny", 0, 4), providers, providers, new RoutePlanner(providers.RoundTrip, new Random(1)),
            new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, NullLogger<DistributedBlockPipeline>.Instance);
        var routes = 0;
        pipeline.RouteChanged += _ => routes++;

        var generated = new List<int>();
        async Task GenerateAsync()
        {
            await foreach (var token in new TextGenerator(local.Head, pipeline).GenerateAsync(Prompt, Greedy))
            {
                generated.Add(token);
                // The path breaks mid-generation; the provider itself keeps running.
                if (generated.Count == 4) await providers.Client.DisconnectAsync(only.PeerId);
            }
        }

        if (relayed)
        {
            await GenerateAsync();
            Assert.Equal(expected, generated);
            Assert.Equal(2, routes); // the first route, then the same provider reached again
        }
        else
        {
            await Assert.ThrowsAsync<NoRouteException>(GenerateAsync); // the provider was left out after its failure
            Assert.Equal(expected.Take(4), generated.Take(4));
        }
    }
}
