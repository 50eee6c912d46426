using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Model;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Node.Protocols;
using Peerz.Node.Serving;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Tests;

/// <summary>Decode steps of concurrent sessions batched on a provider: same tokens as one process, bounded queue.</summary>
public sealed class BatchedServingTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 12 };

    // A wide window so that, even on a loaded two-core machine, concurrent sessions' steps meet in a batch.
    private static readonly ServingLimits Batched = new() { Batching = new BatchingOptions { Window = TimeSpan.FromMilliseconds(20) } };

    private static int[][] Prompts() => [[1, 17, 42, 99], [5], [200, 3, 3, 3, 9, 60], [77, 12]];

    [Fact]
    public async Task Concurrent_sessions_through_batching_providers_generate_the_tokens_of_one_process()
    {
        var prompts = Prompts();
        var expected = new List<List<int>>();
        using (var local = LocalModel.Load(model.Directory))
        {
            foreach (var prompt in prompts) expected.Add(await local.CreateGenerator().GenerateAsync(prompt, Greedy).ToListAsync());
        }
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var providers = await Libp2pProviders.StartAsync(checkpoint);
        var a = await providers.AddAsync(0, 2, limits: Batched);
        var b = await providers.AddAsync(2, 4, limits: Batched);

        async Task<List<int>> GenerateAsync(int[] prompt)
        {
            using var local = LocalModel.Load(model.Directory);
            var pipeline = new DistributedBlockPipeline(new SpanRequest("tiny", 0, 4), providers, providers, new RoutePlanner(providers.RoundTrip, new Random(1)),
                new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, NullLogger<DistributedBlockPipeline>.Instance);
            return await new TextGenerator(local.Head, pipeline).GenerateAsync(prompt, Greedy).ToListAsync();
        }

        var generated = await Task.WhenAll(prompts.Select(p => Task.Run(() => GenerateAsync(p))));
        for (var i = 0; i < prompts.Length; i++) Assert.Equal(expected[i], generated[i]);
        // The comparison means something only if steps were in fact batched.
        Assert.True(a.Served.Batcher!.Batches > 0 && b.Served.Batcher!.Batches > 0,
            $"no batch formed: {a.Served.Batcher.Batches} batches on the first provider, {b.Served.Batcher!.Batches} on the second");
    }

    /// <summary>Holds the compute lane until disposed, so steps pile up in the batcher's queue.</summary>
    private sealed class LaneBlocker : IAsyncDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly Task _holder;

        public LaneBlocker(ServedSpan served)
        {
            using var holding = new ManualResetEventSlim();
            _holder = Task.Run(() => served.ComputeAsync("forward", 0, () =>
            {
                holding.Set();
                return _release.Wait(TimeSpan.FromSeconds(30));
            }, CancellationToken.None));
            holding.Wait(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync()
        {
            _release.Set();
            await _holder;
            _release.Dispose();
        }
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }

    [Fact]
    public async Task A_step_beyond_the_queue_bound_is_refused_with_busy_and_leaves_its_session_as_it_was()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var limits = new ServingLimits { Batching = new BatchingOptions { MaxQueued = 2 } };
        using var served = new ServedSpan("tiny", BlockSpan.Load(checkpoint, 0, 4), limits);
        using var local = LocalModel.Load(model.Directory);
        var sessions = Enumerable.Range(0, 4).Select(_ => served.Blocks.OpenSession(1, 16, served.CacheBudget)).ToArray();
        var inputs = Enumerable.Range(0, 4).Select(i => local.Head.EmbedSequence([i + 1])).ToArray();
        Task<long> Step(int i) => served.StepAsync("inference", sessions[i], inputs[i], 0, o => o.shape[1], CancellationToken.None);
        try
        {
            Task<long>[] answered;
            await using (new LaneBlocker(served))
            {
                // The first step is taken into a batch that waits for the lane; the next two wait in the queue, which is then full.
                var first = Step(0);
                await UntilAsync(() => served.Batcher!.Queued == 0);
                answered = [first, Step(1), Step(2)];
                Assert.Equal(2, served.Batcher!.Queued);
                var refused = await Assert.ThrowsAsync<RequestRejectedException>(() => Step(3));
                Assert.Equal(ErrorCode.Busy, refused.Code);
            }
            Assert.Equal(new long[] { 1, 1, 1 }, await Task.WhenAll(answered));
            Assert.Equal(0, sessions[3].Position);
            Assert.Equal(1, served.Batcher.Batches);
            // Once the queue has drained, the refused session is served.
            Assert.Equal(1L, await Step(3));
            Assert.Equal(1, sessions[3].Position);
        }
        finally
        {
            foreach (var session in sessions) session.Dispose();
            foreach (var input in inputs) input.Dispose();
        }
    }

    [Fact]
    public async Task A_queued_step_withdrawn_by_cancellation_never_touches_its_session()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var served = new ServedSpan("tiny", BlockSpan.Load(checkpoint, 0, 4), new ServingLimits { Batching = new BatchingOptions() });
        using var local = LocalModel.Load(model.Directory);
        using var taken = served.Blocks.OpenSession(1, 16, served.CacheBudget);
        using var withdrawn = served.Blocks.OpenSession(1, 16, served.CacheBudget);
        using var input = local.Head.EmbedSequence([3]);
        using var cancel = new CancellationTokenSource();
        Task<long> first;
        await using (new LaneBlocker(served))
        {
            first = served.StepAsync("inference", taken, input, 0, o => o.shape[1], CancellationToken.None);
            await UntilAsync(() => served.Batcher!.Queued == 0);
            var queued = served.StepAsync("inference", withdrawn, input, 0, o => o.shape[1], cancel.Token);
            Assert.Equal(1, served.Batcher!.Queued);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
            Assert.Equal(0, served.Batcher.Queued);
        }
        Assert.Equal(1L, await first);
        Assert.Equal(1, taken.Position);
        Assert.Equal(0, withdrawn.Position);
    }
}
