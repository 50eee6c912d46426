using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Client.Training;
using Peerz.Model;
using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Generation;
using Peerz.Node.Protocols;
using Peerz.Node.Serving;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Node.Tests;

/// <summary>
/// LoRA adapters on KV-cached inference sessions through loopback providers: generation equals the same adapter in one
/// process and the forward-request path it replaces; sessions with different adapters (or none) on one batching provider
/// do not mix; an adapter that does not fit is refused at the open and leaves nothing behind. Adapters cover every
/// projection the blocks have, in every family: Mixtral's reach into each expert, BLOOM's and Falcon's into their fused ones.
/// </summary>
public sealed class LoraSessionTests(TinyModelFixture model, MixtralModelFixture mixtral, BloomModelFixture bloom, FalconModelFixture falcon, ITestOutputHelper output)
    : IClassFixture<TinyModelFixture>, IClassFixture<MixtralModelFixture>, IClassFixture<BloomModelFixture>, IClassFixture<FalconModelFixture>
{
    private static readonly int[] Prompt = [1, 17, 42, 99, 5, 3];
    private const int NewTokens = 10;

    // The swarm runs the same float32 operations as the local session, step for step, and hidden states cross the wire
    // uncompressed; the recomputing path differs only in computing every position again (attention over the whole
    // sequence instead of the cache: ~1e-6 on logits of magnitude ~1). 1e-4 sits far above that noise and far below
    // what a missing or foreign adapter moves the logits (0.1 and more, printed by the tests).
    private const double LogitsBound = 1e-4;

    private sealed record Run(List<int> Tokens, float[] Logits);

    private static DistributedBlockPipeline Swarm(LoopbackSwarm swarm) => new(
        new SpanRequest("tiny", 0, 4), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(1)),
        new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(30) }, NullLogger<DistributedBlockPipeline>.Instance);

    /// <summary>Greedy decoding step by step, keeping the logits of every generated position.</summary>
    private static async Task<Run> DecodeAsync(ClientHead head, IBlockPipeline pipeline, int[] prompt)
    {
        await using var session = await pipeline.OpenSessionAsync(1, prompt.Length + NewTokens, default);
        var tokens = new List<int>();
        var logits = new List<float>();
        var input = prompt;
        for (var i = 0; i < NewTokens; i++)
        {
            using var hidden = head.EmbedSequence(input);
            using var result = await session.StepAsync(hidden, default);
            using var last = result.narrow(1, result.shape[1] - 1, 1);
            using var row = head.Logits(last).reshape(-1);
            logits.AddRange(row.data<float>().ToArray());
            using var next = row.argmax();
            tokens.Add((int)next.item<long>());
            input = [tokens[^1]];
        }
        return new Run(tokens, [.. logits]);
    }

    private static double MaxDifference(Run a, Run b) => a.Logits.Zip(b.Logits).Max(p => (double)Math.Abs(p.First - p.Second));

    private static LoraAdapter Adapter(Checkpoint checkpoint, long seed) => LoraTestAdapters.Trained(checkpoint.Config, LoraModules.AllFor(checkpoint.Config), seed);

    private static async Task UntilFreedAsync(ServedSpan served)
    {
        // Closing is asynchronous on the provider; bounded wait for the slot and cache to come back.
        for (var i = 0; i < 200 && (served.ActiveSessions > 0 || served.CacheBudget.UsedBytes > 0); i++) await Task.Delay(25);
        Assert.Equal(0, served.ActiveSessions);
        Assert.Equal(0, served.CacheBudget.UsedBytes);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("mixtral")]
    [InlineData("bloom")]
    [InlineData("falcon")]
    public async Task Adapter_generation_through_three_providers_equals_the_local_session_and_the_recomputing_path(string modelType)
    {
        var directory = modelType switch { "mixtral" => mixtral.Directory, "bloom" => bloom.Directory, "falcon" => falcon.Directory, _ => model.Directory };
        using var local = LocalModel.Load(directory);
        using var checkpoint = Checkpoint.Open(directory);
        Assert.Equal(modelType, checkpoint.Config.ModelType);
        await using var a = new LoopbackProvider("a", checkpoint, 0, 1);
        await using var b = new LoopbackProvider("b", checkpoint, 1, 3);
        await using var c = new LoopbackProvider("c", checkpoint, 3, 4);
        var swarm = new LoopbackSwarm([a, b, c]);
        using var adapter = Adapter(checkpoint, seed: 3);

        var expected = await DecodeAsync(local.Head, new AdaptedPipeline(local.Pipeline, adapter), Prompt);
        var plain = await DecodeAsync(local.Head, local.Pipeline, Prompt);
        var cached = await DecodeAsync(local.Head, new AdaptedPipeline(Swarm(swarm), adapter), Prompt);
        var training = new DistributedTrainingPipeline(new SpanRequest("tiny", 0, 4), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(1)),
            new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(30) }, NullLogger<DistributedTrainingPipeline>.Instance);
        var recomputed = await DecodeAsync(local.Head, AdaptedPipeline.Recomputing(training, adapter), Prompt);

        output.WriteLine($"{modelType}: tokens local {string.Join(",", expected.Tokens)}; without adapter {string.Join(",", plain.Tokens)}");
        output.WriteLine($"max |logits| difference: swarm session vs local {MaxDifference(cached, expected):E2}, vs recomputing {MaxDifference(cached, recomputed):E2}, " +
            $"local with vs without adapter {MaxDifference(expected, plain):E2}");
        Assert.True(MaxDifference(expected, plain) > 100 * LogitsBound, "the adapter barely changes the logits, so the comparison says nothing");
        Assert.Equal(expected.Tokens, cached.Tokens);
        Assert.Equal(recomputed.Tokens, cached.Tokens);
        Assert.True(MaxDifference(cached, expected) <= LogitsBound);
        Assert.True(MaxDifference(cached, recomputed) <= LogitsBound);
        // The session's adapter and cache are freed with it on every provider.
        foreach (var provider in new[] { a, b, c }) await UntilFreedAsync(provider.Served);
    }

    [Fact]
    public async Task Interleaved_sessions_with_different_adapters_or_none_on_one_batching_provider_each_equal_their_local_run()
    {
        using var local = LocalModel.Load(model.Directory);
        using var checkpoint = Checkpoint.Open(model.Directory);
        // Batching on, with a wide window, so decode steps of concurrent sessions queue together: adapter sessions must
        // still never share a pass with each other or with the plain session.
        var limits = new ServingLimits { Batching = new BatchingOptions { Window = TimeSpan.FromMilliseconds(20) } };
        await using var provider = new LoopbackProvider("p", checkpoint, 0, 4, limits);
        var swarm = new LoopbackSwarm([provider]);
        using var first = Adapter(checkpoint, seed: 3);
        using var second = Adapter(checkpoint, seed: 11);
        IBlockPipeline[] remote = [new AdaptedPipeline(Swarm(swarm), first), new AdaptedPipeline(Swarm(swarm), second), Swarm(swarm)];
        IBlockPipeline[] reference = [new AdaptedPipeline(local.Pipeline, first), new AdaptedPipeline(local.Pipeline, second), local.Pipeline];

        var expected = new List<Run>();
        foreach (var pipeline in reference) expected.Add(await DecodeAsync(local.Head, pipeline, Prompt));
        var runs = await Task.WhenAll(remote.Select(p => Task.Run(() => DecodeAsync(local.Head, p, Prompt))));

        output.WriteLine($"adapters differ by {MaxDifference(expected[0], expected[1]):E2}, first vs none {MaxDifference(expected[0], expected[2]):E2}; " +
            $"swarm vs local: {string.Join(", ", runs.Zip(expected).Select(p => MaxDifference(p.First, p.Second).ToString("E2")))}");
        Assert.True(MaxDifference(expected[0], expected[1]) > 100 * LogitsBound && MaxDifference(expected[0], expected[2]) > 100 * LogitsBound);
        for (var i = 0; i < runs.Length; i++)
        {
            Assert.Equal(expected[i].Tokens, runs[i].Tokens);
            Assert.True(MaxDifference(runs[i], expected[i]) <= LogitsBound, $"session {i} differs from its local run by {MaxDifference(runs[i], expected[i])}");
        }
        await UntilFreedAsync(provider.Served);
    }

    [Fact]
    public async Task An_adapter_that_does_not_fit_is_refused_at_the_open_with_the_reason_and_opens_no_session()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var provider = new LoopbackProvider("p", checkpoint, 0, 2, new ServingLimits { MaxAdapterElements = 1000 });
        using var adapter = Adapter(checkpoint, seed: 3);
        using var fits = adapter.Slice(0, 2);
        var hidden = checkpoint.Config.HiddenSize;
        using var misshapen = new LoraAdapter(2, [new LoraWeight(0, "q_proj", zeros(4, hidden + 1), zeros(hidden, 4))]);
        LoraAdapter Small(int block) => new(2, [new LoraWeight(block, "v_proj", zeros(1, hidden), zeros(LoraModules.Shape(checkpoint.Config, "v_proj").Out, 1))]);
        using var small = Small(1);
        var options = new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(30) };

        async Task<PeerzRequestException> RefusedAsync(LoraAdapter refused) => await Assert.ThrowsAsync<PeerzRequestException>(async () =>
            await RemoteSpanSession.OpenAsync(await LoopbackProvider.ConnectAsync(provider.EndPoint, PeerzProtocolIds.Inference, default), new SpanRequest("tiny", 0, 2), 1, 16,
                options, null, null, LoraCodec.Encode(refused), null, default));

        var oversize = await RefusedAsync(fits);
        var wrongShape = await RefusedAsync(misshapen);
        using var otherBlocks = Small(2);
        var outside = await RefusedAsync(otherBlocks);
        output.WriteLine($"{oversize.Message}\n{wrongShape.Message}\n{outside.Message}");
        Assert.All(new[] { oversize, wrongShape, outside }, e => Assert.Equal(ErrorCode.BadRequest, e.Code));
        Assert.Contains("adapter", oversize.Message);
        Assert.Contains("lora_A must be", wrongShape.Message);
        Assert.Contains("not in blocks [0, 2)", outside.Message);
        Assert.Equal(0, provider.Served.ActiveSessions);
        Assert.Equal(0, provider.Served.CacheBudget.UsedBytes);

        // An adapter within the limit opens, and its bytes are held in the cache budget until the session closes.
        await using (var session = await RemoteSpanSession.OpenAsync(await LoopbackProvider.ConnectAsync(provider.EndPoint, PeerzProtocolIds.Inference, default),
            new SpanRequest("tiny", 0, 2), 1, 16, options, null, null, LoraCodec.Encode(small), null, default))
        {
            Assert.Equal(provider.Served.Blocks.CacheBytes(1, 16) + small.Bytes, provider.Served.CacheBudget.UsedBytes);
        }
        await UntilFreedAsync(provider.Served);
    }
}
