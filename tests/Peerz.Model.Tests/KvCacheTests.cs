using Peerz.Model.Blocks;
using Peerz.Model.Generation;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

public sealed class KvCacheTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    [Theory]
    [InlineData(WeightQuantization.None)]
    [InlineData(WeightQuantization.Int8)]
    [InlineData(WeightQuantization.Nf4)]
    public Task Incremental_decoding_of_32_tokens_equals_full_recomputation(WeightQuantization quantization) =>
        AssertIncrementalDecodingEqualsRecomputation(model.Directory, new BlockLoadOptions { Quantization = quantization }, output);

    /// <summary>32 greedy tokens through the KV cache match recomputing the whole sequence at every step (logits and tokens).</summary>
    internal static async Task AssertIncrementalDecodingEqualsRecomputation(string directory, BlockLoadOptions options, ITestOutputHelper output)
    {
        using var local = LocalModel.Load(directory, options);
        int[] prompt = [1, 17, 42, 99];
        var generated = await local.CreateGenerator().GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = 32 }).ToListAsync();
        Assert.Equal(32, generated.Count);

        // Full recomputation: run the whole sequence from scratch for every prefix and pick greedily.
        var sequence = prompt.ToList();
        double worst = 0;
        await using var session = await local.Pipeline.OpenSessionAsync(1, prompt.Length + 32, CancellationToken.None);
        IReadOnlyList<int> step = prompt;
        for (var i = 0; i < 32; i++)
        {
            var full = local.Logits(sequence)[^1];
            // No dispose scope across the await: TorchSharp scopes are per thread.
            using var embedded = local.Head.EmbedSequence(step);
            using var hidden = await session.StepAsync(embedded, CancellationToken.None);
            using var logits = local.Head.Logits(hidden);
            var incremental = SpanSplitTests.ToRows(logits[0])[^1];
            worst = Math.Max(worst, Arrays.MaxAbsDiff([full], [incremental]));
            var next = TokenSampler.ArgMax(full);
            Assert.Equal(next, generated[i]);
            sequence.Add(next);
            step = [next];
        }
        output.WriteLine($"{local.Checkpoint.Config.ModelType}: max abs logit diff, cached vs recomputed over 32 steps: {worst:E2} (weights {options.Quantization})");
        Assert.True(worst <= 1e-4, $"max abs diff {worst}");
    }

    [Fact]
    public void A_session_over_the_cache_budget_is_refused_and_released_sessions_free_it()
    {
        using var local = LocalModel.Load(model.Directory);
        var perSession = local.Blocks.CacheBytes(1, 64);
        var budget = new KvCacheBudget(perSession * 2);
        using (var first = local.Blocks.OpenSession(1, 64, budget))
        using (var second = local.Blocks.OpenSession(1, 64, budget))
        {
            Assert.Equal(0, budget.FreeBytes);
            Assert.Throws<CacheBudgetExceededException>(() => local.Blocks.OpenSession(1, 64, budget));
        }
        Assert.Equal(perSession * 2, budget.FreeBytes);
        using var third = local.Blocks.OpenSession(1, 64, budget);
    }

    [Fact]
    public void A_step_past_the_sessions_max_length_is_refused_without_corrupting_the_cache()
    {
        using var local = LocalModel.Load(model.Directory);
        using var session = local.Blocks.OpenSession(1, 4, new KvCacheBudget(1 << 24));
        using var scope = NewDisposeScope();
        session.Step(local.Head.EmbedSequence([1, 2, 3]));
        Assert.Throws<SessionLengthExceededException>(() => session.Step(local.Head.EmbedSequence([4, 5])));
        Assert.Equal(3, session.Position);
        var last = local.Head.Logits(session.Step(local.Head.EmbedSequence([4])));
        var expected = local.Logits([1, 2, 3, 4])[^1];
        Assert.True(Arrays.MaxAbsDiff([expected], SpanSplitTests.ToRows(last[0])) <= 1e-4);
    }
    [Fact]
    public void A_session_with_deep_prompts_equals_one_pass_over_the_whole_sequence_however_its_steps_split_the_prefix()
    {
        using var local = LocalModel.Load(model.Directory);
        var config = local.Checkpoint.Config;
        using var prompts = randn([config.NumLayers, 3, config.HiddenSize], generator: new Generator(5));
        int[] tokens = [1, 17, 42, 99, 7, 200, 12];
        using var whole = local.Head.EmbedSequence(tokens);
        using var expected = local.Blocks.Forward(whole, prompts);
        using var plain = local.Blocks.Forward(whole);
        // The prompts (std 1, like the embeddings) change every position, so a session ignoring them fails below.
        Assert.True(Arrays.MaxAbsDiff(SpanSplitTests.ToRows(plain[0]), SpanSplitTests.ToRows(expected[0])) > 0.1);

        // Steps of 2, 2, 1, 1, 1 positions: the prefix of 3 ends inside the second step.
        using var session = local.Blocks.OpenSession(1, tokens.Length, new KvCacheBudget(1 << 24), prompts: prompts.clone());
        var outputs = new List<Tensor>();
        foreach (var (start, length) in new[] { (0, 2), (2, 2), (4, 1), (5, 1), (6, 1) })
            outputs.Add(session.Step(whole.narrow(1, start, length)));
        using var stepped = cat(outputs, 1);
        outputs.ForEach(t => t.Dispose());
        var diff = Arrays.MaxAbsDiff(SpanSplitTests.ToRows(expected[0]), SpanSplitTests.ToRows(stepped[0]));
        output.WriteLine($"deep prompts: max abs diff, session steps vs one pass: {diff:E2}");
        // The same float32 math over cached keys and values; only the attention's summation order differs (as above).
        Assert.True(diff <= 1e-4, $"max abs diff {diff}");
    }

    [Fact]
    public void Deep_prompts_longer_than_the_session_or_of_the_wrong_shape_are_refused_and_reserve_nothing()
    {
        using var local = LocalModel.Load(model.Directory);
        var config = local.Checkpoint.Config;
        var budget = new KvCacheBudget(1 << 24);
        foreach (var shape in new long[][] { [config.NumLayers, 5, config.HiddenSize], [config.NumLayers - 1, 2, config.HiddenSize], [config.NumLayers, 2, config.HiddenSize + 1] })
        {
            using var prompts = randn(shape);
            Assert.Throws<ArgumentException>(() => local.Blocks.OpenSession(1, 4, budget, prompts: prompts));
            Assert.Equal(1 << 24, budget.FreeBytes);
        }
        using var fitting = randn([config.NumLayers, 2, config.HiddenSize]);
        using var session = local.Blocks.OpenSession(1, 4, budget, prompts: fitting.clone());
        Assert.Equal((1 << 24) - local.Blocks.CacheBytes(1, 4) - fitting.NumberOfElements * 4, budget.FreeBytes);
    }
}
