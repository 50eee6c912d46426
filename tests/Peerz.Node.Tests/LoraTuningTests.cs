using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Client.Training;
using Peerz.Model;
using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Node.Serving;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Node.Tests;

/// <summary>
/// LoRA fine-tuning through three loopback providers (a: blocks 0-2; b and c: blocks 2-4, so the second hop's batch is
/// split between them) against the same training in one process, and two clients' adapters on the same providers.
/// Every family is checked the same way: Mixtral's adapters reach into every expert (w1, w2, w3), BLOOM's and Falcon's
/// adapt their fused projections.
/// </summary>
public sealed class LoraTuningTests(TinyModelFixture model, MixtralModelFixture mixtral, BloomModelFixture bloom, FalconModelFixture falcon, ITestOutputHelper output)
    : IClassFixture<TinyModelFixture>, IClassFixture<MixtralModelFixture>, IClassFixture<BloomModelFixture>, IClassFixture<FalconModelFixture>
{
    private static readonly int[] Text = Encoding.UTF8.GetBytes(
        "The quick brown fox jumps over the lazy dog. The dog does not mind; it has seen the fox before. " +
        "A small model is useful for tests, for demos and for measuring the speed of the network.").Select(b => (int)b).ToArray();

    // Same argument as prompt tuning's bound (PromptTuningTests): the swarm runs the same float32 operations, except that
    // b and c each multiply half a batch (different matmul blocking, ~1e-7 relative per op) and that the gradients of a
    // split batch are summed on the client in another order; tensors cross the wire uncompressed. 1e-4 leaves ample room
    // over that noise, while a wrong computation (a missing adapter, a wrong block, a dropped share) differs by 1e-2 or more.
    private const double Bound = 1e-4;

    private static DistributedTrainingPipeline Swarm(LoopbackSwarm swarm, int seed = 5) => new(
        new SpanRequest("tiny", 0, 4), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(seed)),
        new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(30) }, NullLogger<DistributedTrainingPipeline>.Instance);

    private static LoraTuner Tuner(ClientHead head, ITrainingPipeline pipeline, LoraAdapter adapter) =>
        new(head, pipeline, adapter, new PromptTuningOptions { LearningRate = 0.01 }, NullLogger<LoraTuner>.Instance);

    [Theory]
    [InlineData("llama")]
    [InlineData("mixtral")]
    [InlineData("bloom")]
    [InlineData("falcon")]
    public async Task Adapter_gradients_through_the_swarm_equal_the_local_ones(string modelType)
    {
        var directory = modelType switch { "mixtral" => mixtral.Directory, "bloom" => bloom.Directory, "falcon" => falcon.Directory, _ => model.Directory };
        using var local = LocalModel.Load(directory);
        using var checkpoint = Checkpoint.Open(directory);
        Assert.Equal(modelType, checkpoint.Config.ModelType);
        await using var a = new LoopbackProvider("a", checkpoint, 0, 2);
        await using var b = new LoopbackProvider("b", checkpoint, 2, 4);
        await using var c = new LoopbackProvider("c", checkpoint, 2, 4);
        using var adapter = LoraTestAdapters.Trained(checkpoint.Config, LoraModules.AllFor(checkpoint.Config), seed: 3);
        using var batch = new TrainingData(Text, sequenceLength: 24, batchSize: 4, seed: 3).Batch(0);

        using var localTuner = Tuner(local.Head, new LocalTrainingPipeline(local.Blocks), adapter);
        using var swarmTuner = Tuner(local.Head, Swarm(new LoopbackSwarm([a, b, c])), adapter);
        var (localLoss, localGradients) = await localTuner.GradientsAsync(batch, default);
        var (swarmLoss, swarmGradients) = await swarmTuner.GradientsAsync(batch, default);
        using (localGradients)
        using (swarmGradients)
        {
            Assert.Equal(localGradients.Weights.Select(w => (w.Block, w.Module)), swarmGradients.Weights.Select(w => (w.Block, w.Module)));
            double worst = 0, scale = 0;
            foreach (var (expected, actual) in localGradients.Weights.Zip(swarmGradients.Weights))
            {
                foreach (var (x, y) in new[] { (expected.A, actual.A), (expected.B, actual.B) })
                {
                    worst = Math.Max(worst, (x - y).abs().max().item<float>());
                    scale = Math.Max(scale, x.abs().max().item<float>());
                }
            }
            output.WriteLine($"{modelType}: {localGradients.Weights.Count} projections; loss local {localLoss:F6} swarm {swarmLoss:F6}; max |local - swarm| {worst:E2} of max |gradient| {scale:E2}");
            Assert.True(scale > 1e-3, "the gradients are trivially small");
            Assert.True(worst <= Bound * scale, $"gradients differ by {worst} (relative {worst / scale})");
            Assert.True(Math.Abs(localLoss - swarmLoss) <= Bound * localLoss);
        }
    }

    [Fact]
    public async Task A_20_step_fine_tune_through_3_providers_follows_the_local_loss_curve()
    {
        const int steps = 20;
        using var local = LocalModel.Load(model.Directory);
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var fresh = LoraAdapter.Create(checkpoint.Config, 0, 4, LoraModules.Default, rank: 8, alpha: 16, seed: 11);
        var expected = await TrainAsync(local.Head, new LocalTrainingPipeline(local.Blocks), fresh, steps, seed: 3);

        await using var a = new LoopbackProvider("a", checkpoint, 0, 2);
        await using var b = new LoopbackProvider("b", checkpoint, 2, 4);
        await using var c = new LoopbackProvider("c", checkpoint, 2, 4);
        using var probe = randn([2, 6, checkpoint.Config.HiddenSize], generator: manual_seed(9));
        using var baseBefore = b.Served.Blocks.Forward(probe);
        var pipeline = Swarm(new LoopbackSwarm([a, b, c]));
        var shares = new List<TrainingShare>();
        pipeline.ShareServed += share => { lock (shares) shares.Add(share); };
        var actual = await TrainAsync(local.Head, pipeline, fresh, steps, seed: 3);

        output.WriteLine($"local curve {string.Join(" ", expected.Select(l => l.ToString("F5")))}");
        output.WriteLine($"swarm curve {string.Join(" ", actual.Select(l => l.ToString("F5")))}");
        var maxDiff = expected.Zip(actual, (x, y) => Math.Abs(x - y)).Max();
        output.WriteLine($"max |local - swarm| over {steps} steps: {maxDiff:E2}");
        Assert.True(maxDiff < Bound, $"the curves differ by {maxDiff}");
        // Training works: the last steps' loss is well below the first's (each step sees another batch, so compare means).
        Assert.True(actual.TakeLast(5).Average() < 0.9 * actual.Take(5).Average(), $"loss {actual.Take(5).Average()} -> {actual.TakeLast(5).Average()}");
        Assert.Contains(shares, s => s.PeerId == "b" && s.Direction == "backward");
        Assert.Contains(shares, s => s.PeerId == "c" && s.Direction == "backward");
        // The providers' base weights stayed frozen: their plain forward pass is bit-for-bit what it was.
        using var baseAfter = b.Served.Blocks.Forward(probe);
        Assert.Equal(0f, (baseBefore - baseAfter).abs().max().item<float>());
    }

    [Fact]
    public async Task Two_clients_with_different_adapters_on_the_same_providers_each_get_their_own_local_run()
    {
        const int steps = 6;
        using var local = LocalModel.Load(model.Directory);
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var first = LoraAdapter.Create(checkpoint.Config, 0, 4, LoraModules.Default, rank: 4, alpha: 8, seed: 21);
        using var second = LoraAdapter.Create(checkpoint.Config, 0, 4, ["q_proj", "o_proj", "up_proj"], rank: 8, alpha: 32, seed: 22);
        var expectedFirst = await TrainAsync(local.Head, new LocalTrainingPipeline(local.Blocks), first, steps, seed: 3);
        var expectedSecond = await TrainAsync(local.Head, new LocalTrainingPipeline(local.Blocks), second, steps, seed: 4);

        await using var a = new LoopbackProvider("a", checkpoint, 0, 2);
        await using var b = new LoopbackProvider("b", checkpoint, 2, 4);
        await using var c = new LoopbackProvider("c", checkpoint, 2, 4);
        var swarm = new LoopbackSwarm([a, b, c]);
        // Both clients train at once: their requests interleave on every provider.
        var runs = await Task.WhenAll(
            Task.Run(() => TrainAsync(local.Head, Swarm(swarm, seed: 1), first, steps, seed: 3)),
            Task.Run(() => TrainAsync(local.Head, Swarm(swarm, seed: 2), second, steps, seed: 4)));

        var diffFirst = expectedFirst.Zip(runs[0], (x, y) => Math.Abs(x - y)).Max();
        var diffSecond = expectedSecond.Zip(runs[1], (x, y) => Math.Abs(x - y)).Max();
        var between = expectedFirst.Zip(expectedSecond, (x, y) => Math.Abs(x - y)).Max();
        output.WriteLine($"client 1 vs its local run {diffFirst:E2}; client 2 vs its local run {diffSecond:E2}; the two local runs differ by {between:E2}");
        Assert.True(diffFirst < Bound && diffSecond < Bound, $"{diffFirst}, {diffSecond}");
        // The two runs are distinguishable, so leaking one client's adapter into the other's requests would show.
        Assert.True(between > 100 * Bound, $"the two adapters train alike ({between})");
    }

    [Fact]
    public async Task Bad_adapters_are_refused_with_the_reason_and_the_provider_keeps_serving()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var provider = new LoopbackProvider("a", checkpoint, 0, 4, new ServingLimits { MaxAdapterElements = 10_000 });
        var hiddenSize = checkpoint.Config.HiddenSize;
        var span = new SpanRequest("tiny", 1, 3);
        using var hidden = randn([1, 4, hiddenSize]);
        var cases = new (LoraAdapter Adapter, string Reason)[]
        {
            (new LoraAdapter(2, [new LoraWeight(1, "q_proj", zeros(4, hiddenSize + 1), zeros(hiddenSize, 4))]), "lora_A must be [4, 64]"),
            (new LoraAdapter(2, [new LoraWeight(1, "lm_head", zeros(4, hiddenSize), zeros(hiddenSize, 4))]), "unknown target module"),
            (new LoraAdapter(2, [new LoraWeight(0, "q_proj", zeros(4, hiddenSize), zeros(hiddenSize, 4))]), "not in blocks [1, 3)"),
            (new LoraAdapter(2, [new LoraWeight(1, "q_proj", zeros(64, hiddenSize), zeros(hiddenSize, 64)), new LoraWeight(2, "q_proj", zeros(64, hiddenSize), zeros(hiddenSize, 64))]),
                "exceeds"),
        };
        foreach (var (adapter, reason) in cases)
        {
            using (adapter)
            {
                await using var stream = await LoopbackProvider.ConnectAsync(provider.EndPoint, Protocols.PeerzProtocolIds.Forward, default);
                var error = await Assert.ThrowsAsync<PeerzRequestException>(() => RemoteTraining.ForwardAsync(stream, span, hidden, null, adapter, new RemoteCallOptions(), null, default));
                Assert.Equal(Protocol.Wire.ErrorCode.BadRequest, error.Code);
                Assert.Contains(reason, error.Message);
            }
        }
        using var good = LoraAdapter.Create(checkpoint.Config, 1, 3, LoraModules.Default, rank: 4, alpha: 8, seed: 1);
        await using (var stream = await LoopbackProvider.ConnectAsync(provider.EndPoint, Protocols.PeerzProtocolIds.Forward, default))
        using (var result = await RemoteTraining.ForwardAsync(stream, span, hidden, null, good, new RemoteCallOptions(), null, default))
            Assert.Equal(hidden.shape, result.shape);
    }

    /// <summary>Trains a copy of <paramref name="adapter"/> for <paramref name="steps"/> steps; returns each step's loss.</summary>
    private static async Task<double[]> TrainAsync(ClientHead head, ITrainingPipeline pipeline, LoraAdapter adapter, int steps, int seed)
    {
        var data = new TrainingData(Text, sequenceLength: 24, batchSize: 4, seed: seed);
        using var tuner = Tuner(head, pipeline, adapter);
        var curve = new double[steps];
        for (var step = 0; step < steps; step++)
        {
            using var batch = data.Batch(step);
            curve[step] = await tuner.StepAsync(batch, default);
        }
        return curve;
    }
}
