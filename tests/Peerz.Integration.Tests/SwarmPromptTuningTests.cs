using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Client.Training;
using Peerz.Discovery;
using Peerz.Model;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Node.Serving;
using Peerz.Node.Swarm;
using Peerz.P2P;
using static TorchSharp.torch;

namespace Peerz.Integration.Tests;

/// <summary>Deep prompt tuning over real libp2p providers found in the DHT, against the same training in one process.</summary>
public sealed class SwarmPromptTuningTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static async Task<ProviderNode> StartProviderAsync(Checkpoint checkpoint, int start, int end, IReadOnlyList<Multiaddr> bootstrap)
    {
        var served = new ServedSpan("tiny", BlockSpan.Load(checkpoint, start, end), new ServingLimits());
        served.MeasureThroughput(16);
        var node = new ProviderNode(served, new ProviderNodeOptions { Identity = Identity.Generate(), Bootstrap = bootstrap }, NullLoggerFactory.Instance);
        await node.StartAsync(CancellationToken.None);
        return node;
    }

    private static async Task<double[]> TrainAsync(Model.Client.ClientHead head, ITrainingPipeline pipeline)
    {
        // The tiny model's 256-id vocabulary: the text's bytes are its tokens.
        var text = "Peerz is a network of computers that run a large language model together."u8.ToArray().Select(b => (int)b).ToArray();
        var data = new TrainingData(text, sequenceLength: 16, batchSize: 4, seed: 1);
        using var prompts = SoftPrompts.Create(head.Config, prefixLength: 3, deep: true, seed: 2);
        using var tuner = new PromptTuner(head, pipeline, prompts, new PromptTuningOptions { LearningRate = 0.05 }, NullLogger<PromptTuner>.Instance);
        var losses = new double[6];
        for (var step = 0; step < losses.Length; step++)
        {
            using var batch = data.Batch(step);
            losses[step] = await tuner.StepAsync(batch, CancellationToken.None);
        }
        return losses;
    }

    [Fact]
    public async Task Deep_prompt_tuning_through_dht_discovered_providers_follows_the_local_loss_curve()
    {
        using var local = LocalModel.Load(model.Directory);
        var expected = await TrainAsync(local.Head, new LocalTrainingPipeline(local.Blocks));

        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var first = await StartProviderAsync(checkpoint, 0, 2, []);
        await using var second = await StartProviderAsync(checkpoint, 2, 4, first.ListenAddresses);
        await using var third = await StartProviderAsync(checkpoint, 2, 4, first.ListenAddresses);
        foreach (var node in new[] { first, second, third }) await node.AnnounceAsync(CancellationToken.None);
        await using var client = new SwarmClient(first.ListenAddresses, NullLoggerFactory.Instance);
        await client.StartAsync(CancellationToken.None);
        var pipeline = new DistributedTrainingPipeline(new SpanRequest("tiny", 0, 4), client, client, new RoutePlanner(client.RoundTrip, new Random(3)),
            new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, NullLogger<DistributedTrainingPipeline>.Instance);
        var peers = new HashSet<string>();
        pipeline.ShareServed += share => { lock (peers) peers.Add(share.PeerId); };
        var actual = await TrainAsync(local.Head, pipeline);

        // Bound and reasoning as in Peerz.Node.Tests.PromptTuningTests: float32 noise from split matmuls only.
        Assert.True(expected.Zip(actual, (x, y) => Math.Abs(x - y)).Max() < 1e-4, $"local {string.Join(" ", expected)} vs swarm {string.Join(" ", actual)}");
        Assert.True(actual[^1] < actual[0]);
        Assert.Equal(3, peers.Count); // the second hop's batch went to both providers of blocks 2-4
    }
}
