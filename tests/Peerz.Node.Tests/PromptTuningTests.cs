using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Client.Training;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Node.Tests;

/// <summary>
/// Prompt tuning through three loopback providers (a: blocks 0-2; b and c: blocks 2-4, so the
/// second hop's batch is split between them) against the same training in one process.
/// </summary>
public sealed class PromptTuningTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    // The tiny model's vocabulary has 256 ids: the text's UTF-8 bytes serve as its tokens.
    private static readonly int[] Text = Encoding.UTF8.GetBytes(
        "The quick brown fox jumps over the lazy dog. The dog does not mind; it has seen the fox before. " +
        "A small model is useful for tests, for demos and for measuring the speed of the network.").Select(b => (int)b).ToArray();

    private const int Steps = 10;

    private static TrainingData Data() => new(Text, sequenceLength: 24, batchSize: 4, seed: 3);

    private static DistributedTrainingPipeline Swarm(LoopbackSwarm swarm, int maxProvidersPerHop = 4) => new(
        new SpanRequest("tiny", 0, 4), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(5)),
        new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, NullLogger<DistributedTrainingPipeline>.Instance, maxProvidersPerHop);

    /// <summary>Trains fresh prompts (fixed seed) for <see cref="Steps"/> steps; returns the loss of every step, then the loss over all data.</summary>
    private static async Task<(double[] Curve, double Before, double After)> TrainAsync(Model.Client.ClientHead head, ITrainingPipeline pipeline, bool deep)
    {
        var data = Data();
        using var prompts = SoftPrompts.Create(head.Config, prefixLength: 4, deep, seed: 11);
        using var tuner = new PromptTuner(head, pipeline, prompts, new PromptTuningOptions { LearningRate = 0.05 }, NullLogger<PromptTuner>.Instance);
        using var all = tensor(Text.Take(data.SequenceCount * 24).Select(t => (long)t).ToArray(), [data.SequenceCount, 24], ScalarType.Int64);
        var before = await tuner.LossAsync(all, default);
        var curve = new double[Steps];
        for (var step = 0; step < Steps; step++)
        {
            using var batch = data.Batch(step);
            curve[step] = await tuner.StepAsync(batch, default);
        }
        return (curve, before, await tuner.LossAsync(all, default));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Prompt_tuning_through_the_swarm_lowers_the_loss_and_follows_the_local_curve(bool deep)
    {
        using var local = LocalModel.Load(model.Directory);
        var expected = await TrainAsync(local.Head, new LocalTrainingPipeline(local.Blocks), deep);

        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var a = new LoopbackProvider("a", checkpoint, 0, 2);
        await using var b = new LoopbackProvider("b", checkpoint, 2, 4);
        await using var c = new LoopbackProvider("c", checkpoint, 2, 4);
        var pipeline = Swarm(new LoopbackSwarm([a, b, c]));
        var shares = new List<TrainingShare>();
        pipeline.ShareServed += share => { lock (shares) shares.Add(share); };
        var actual = await TrainAsync(local.Head, pipeline, deep);

        output.WriteLine($"local: {expected.Before:F4} -> {expected.After:F4}; curve {string.Join(" ", expected.Curve.Select(l => l.ToString("F5")))}");
        output.WriteLine($"swarm: {actual.Before:F4} -> {actual.After:F4}; curve {string.Join(" ", actual.Curve.Select(l => l.ToString("F5")))}");
        var maxDiff = expected.Curve.Zip(actual.Curve, (x, y) => Math.Abs(x - y)).Max();
        output.WriteLine($"max |local - swarm| over the curve: {maxDiff:E2}");

        // Training works: the loss over the whole text falls by more than 10%.
        Assert.True(actual.After < 0.9 * actual.Before, $"loss {actual.Before} -> {actual.After}");
        // Same seeds and data: the swarm computes the same float32 operations as the local run, except
        // that b and c each multiply half a batch (different matmul blocking, ~1e-7 relative per op)
        // and tensors cross the wire uncompressed (bit-exact). Over 10 Adam steps that noise was
        // measured at 2e-6 on losses near 12 (float32 rounding of the loss alone is ~1e-6); the bound
        // 1e-4 leaves 50x headroom, while a real difference in the computation (a missing prompt, a
        // wrong block, a dropped share) moves the curve by 0.1 or more, as the curves' own steps show.
        Assert.True(maxDiff < 1e-4, $"the curves differ by {maxDiff}");
        // The second hop's batch really was split between b and c, in both directions.
        Assert.Contains(shares, s => s.PeerId == "b" && s.Direction == "backward");
        Assert.Contains(shares, s => s.PeerId == "c" && s.Direction == "backward");
    }

    [Fact]
    public async Task A_split_batch_gives_the_unsplit_gradients_and_a_failed_share_is_retried_on_another_provider()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var a = new LoopbackProvider("a", checkpoint, 0, 2);
        await using var b = new LoopbackProvider("b", checkpoint, 2, 4);
        await using var c = new LoopbackProvider("c", checkpoint, 2, 4);
        var swarm = new LoopbackSwarm([a, b, c]);
        var hiddenSize = checkpoint.Config.HiddenSize;
        using var hidden = randn([6, 10, hiddenSize], generator: new Generator(21));
        using var prompts = randn([4, 3, hiddenSize], generator: new Generator(22)).mul_(0.1);
        using var outputGradient = randn([6, 10, hiddenSize], generator: new Generator(23));

        async Task<(Tensor Output, Tensor Input, Tensor Prompts)> RunAsync(DistributedTrainingPipeline pipeline)
        {
            using var pass = await pipeline.ForwardAsync(hidden, prompts, null, default);
            using var gradients = await pass.BackwardAsync(outputGradient, default);
            return (pass.Output.clone(), gradients.Input.clone(), gradients.Prompts!.clone());
        }

        var whole = await RunAsync(Swarm(swarm, maxProvidersPerHop: 1));
        var split = Swarm(swarm);
        var shares = new List<TrainingShare>();
        split.ShareServed += share => { lock (shares) shares.Add(share); };
        var parts = await RunAsync(split);
        Assert.Equal(2, shares.Count(s => s.Start == 2 && s.Direction == "forward"));

        c.Crash();
        var retried = Swarm(swarm);
        var afterCrash = await RunAsync(retried);
        Assert.Equal(["c"], retried.FailedProviders);

        foreach (var (name, other) in new[] { ("split", parts), ("retried", afterCrash) })
        {
            var diffs = new[] { (whole.Output, other.Output), (whole.Input, other.Input), (whole.Prompts, other.Prompts) }
                .Select(pair => RelativeDiff(pair.Item1, pair.Item2)).ToArray();
            output.WriteLine($"{name}: relative max diff output {diffs[0]:E2}, input gradient {diffs[1]:E2}, prompt gradient {diffs[2]:E2}");
            // Row-wise identical float32 math; only summation order inside matmuls (and, for the
            // prompt gradient, the sum of two partial sums) differs: a few float32 ulps.
            Assert.All(diffs, d => Assert.True(d < 1e-5, $"{name} differs by {d}"));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Generation_with_soft_prompts_gives_the_local_tokens_through_the_swarm(bool deep)
    {
        using var local = LocalModel.Load(model.Directory);
        using var prompts = SoftPrompts.Create(local.Head.Config, prefixLength: 3, deep, seed: 4, std: 1.0);
        if (prompts.Deep is not null)
            using (no_grad())
                prompts.Deep.copy_(randn(prompts.Deep.shape, generator: new Generator(6)));
        int[] start = [1, 17, 42, 99];
        var options = new Model.Generation.GenerationOptions { MaxNewTokens = 12 };
        Task<List<int>> GenerateAsync(Model.Generation.IBlockPipeline pipeline) => new Model.Generation.TextGenerator(local.Head, pipeline).GenerateAsync(start, options).ToListAsync().AsTask();
        // The reference: one forward pass over the whole sequence per token, the prompts added as in training.
        var expected = await GenerateAsync(PromptedPipeline.Recomputing(new LocalTrainingPipeline(local.Blocks), prompts));
        var plain = await local.CreateGenerator().GenerateAsync(start, options).ToListAsync();
        Assert.NotEqual(plain, expected); // the prompts (std 1, like the embeddings) do steer the model
        Assert.Equal(expected, await GenerateAsync(new PromptedPipeline(local.Pipeline, prompts)));

        // Through two providers, KV-cached: each hop's session holds its blocks' deep prompts from the open.
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var a = new LoopbackProvider("a", checkpoint, 0, 2);
        await using var b = new LoopbackProvider("b", checkpoint, 2, 4);
        var swarm = new LoopbackSwarm([a, b]);
        var inference = new Client.DistributedBlockPipeline(new SpanRequest("tiny", 0, 4), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(1)),
            new RemoteCallOptions(), NullLogger<Client.DistributedBlockPipeline>.Instance);
        Assert.Equal(expected, await GenerateAsync(new PromptedPipeline(inference, prompts)));
    }

    [Fact]
    public async Task Prompts_of_the_wrong_shape_are_refused_and_the_provider_keeps_serving()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var provider = new LoopbackProvider("a", checkpoint, 0, 4);
        var hiddenSize = checkpoint.Config.HiddenSize;
        var span = new SpanRequest("tiny", 1, 3);
        var options = new RemoteCallOptions();
        using var hidden = randn([1, 4, hiddenSize]);
        foreach (var bad in MisshapenPrompts(hiddenSize))
        {
            using (bad)
            {
                await using var stream = await LoopbackProvider.ConnectAsync(provider.EndPoint, Protocols.PeerzProtocolIds.Forward, default);
                var error = await Assert.ThrowsAsync<PeerzRequestException>(() => RemoteTraining.ForwardAsync(stream, span, hidden, bad, null, options, null, default));
                Assert.Equal(Protocol.Wire.ErrorCode.BadRequest, error.Code);
            }
        }
        using var good = randn([2, 2, hiddenSize]);
        await using (var stream = await LoopbackProvider.ConnectAsync(provider.EndPoint, Protocols.PeerzProtocolIds.Forward, default))
        using (var result = await RemoteTraining.ForwardAsync(stream, span, hidden, good, null, options, null, default))
            Assert.Equal(hidden.shape, result.shape);
    }

    [Fact]
    public async Task Session_prompts_that_do_not_fit_are_refused_at_the_open_and_open_no_session()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var provider = new LoopbackProvider("a", checkpoint, 1, 3);
        var hiddenSize = checkpoint.Config.HiddenSize;
        var span = new SpanRequest("tiny", 1, 3);
        var options = new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(30) };
        async Task<RemoteSpanSession> OpenAsync(Tensor prompts) => await RemoteSpanSession.OpenAsync(
            await LoopbackProvider.ConnectAsync(provider.EndPoint, Protocols.PeerzProtocolIds.Inference, default), span, 1, 4, options, null, null, null,
            Protocol.Tensors.TensorCodec.Encode(prompts, Protocol.Wire.TensorCompression.None), default);

        foreach (var bad in MisshapenPrompts(hiddenSize))
        {
            using (bad)
            {
                var error = await Assert.ThrowsAsync<PeerzRequestException>(() => OpenAsync(bad));
                output.WriteLine(error.Message);
                Assert.Equal(Protocol.Wire.ErrorCode.BadRequest, error.Code);
                Assert.Contains($"prompts must be [2, prefix ≤ 4, {hiddenSize}]", error.Message);
                Assert.Equal(0, provider.Served.ActiveSessions);
                Assert.Equal(0, provider.Served.CacheBudget.UsedBytes);
            }
        }
        // Prompts that fit open a session whose cache budget holds them until it closes.
        using var good = randn([2, 4, hiddenSize]);
        await using (await OpenAsync(good))
            Assert.Equal(provider.Served.Blocks.CacheBytes(1, 4) + good.NumberOfElements * sizeof(float), provider.Served.CacheBudget.UsedBytes);
        for (var i = 0; i < 200 && provider.Served.CacheBudget.UsedBytes > 0; i++) await Task.Delay(25);
        Assert.Equal(0, provider.Served.CacheBudget.UsedBytes);
    }

    /// <summary>
    /// Prompts that do not fit blocks [1, 3) of a request over 4 positions: another block count, a prefix past the 4
    /// positions, another hidden size, no prefix axis.
    /// </summary>
    private static Tensor[] MisshapenPrompts(long hiddenSize) =>
        [randn([3, 2, hiddenSize]), randn([2, 5, hiddenSize]), randn([2, 2, hiddenSize + 1]), randn([2, hiddenSize])];

    private static double RelativeDiff(Tensor expected, Tensor actual) =>
        (expected - actual).abs().max().item<float>() / Math.Max(expected.abs().max().item<float>(), 1e-12);
}
