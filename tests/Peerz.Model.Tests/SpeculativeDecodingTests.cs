using Peerz.Model.Blocks;
using Peerz.Model.Generation;
using Peerz.Model.Tiny;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

public sealed class SpeculativeDecodingTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    /// <summary>24 deterministic prompts of 1–8 tokens, some with repeats so prompt lookup has something to find.</summary>
    internal static IReadOnlyList<int[]> Prompts(int vocab)
    {
        var random = new Random(16);
        return Enumerable.Range(0, 24).Select(i =>
        {
            var prompt = Enumerable.Range(0, 1 + i % 8).Select(_ => random.Next(vocab)).ToArray();
            return i % 3 == 0 ? prompt.Concat(prompt).ToArray() : prompt;
        }).ToList();
    }

    [Fact]
    public void Rollback_leaves_the_cache_exactly_as_a_fresh_session_fed_only_the_accepted_tokens()
    {
        using var local = LocalModel.Load(model.Directory);
        var budget = new KvCacheBudget(1L << 26);
        int[] prompt = [1, 17, 42, 99, 5], drafts = [7, 8, 9, 10], next = [33];
        using var rolled = local.Blocks.OpenSession(1, 32, budget);
        using var fresh = local.Blocks.OpenSession(1, 32, budget);
        using (var embedded = local.Head.EmbedSequence(prompt)) rolled.Step(embedded).Dispose();
        using (var embedded = local.Head.EmbedSequence(drafts)) rolled.Step(embedded).Dispose();
        // Two drafts accepted: keep the prompt and [7, 8].
        rolled.Rollback(prompt.Length + 2);
        Assert.Equal(7, rolled.Position);
        using (var embedded = local.Head.EmbedSequence([.. prompt, 7, 8])) fresh.Step(embedded).Dispose();

        var worst = 0.0;
        foreach (var ((k1, v1), (k2, v2)) in rolled.SnapshotCaches().Zip(fresh.SnapshotCaches()))
        {
            worst = Math.Max(worst, Math.Max((k1 - k2).abs().max().item<float>(), (v1 - v2).abs().max().item<float>()));
            foreach (var t in new[] { k1, v1, k2, v2 }) t.Dispose();
        }
        using var embeddedNext = local.Head.EmbedSequence(next);
        using var afterRollback = rolled.Step(embeddedNext);
        using var afterFresh = fresh.Step(embeddedNext);
        var outputDiff = (afterRollback - afterFresh).abs().max().item<float>();
        output.WriteLine($"max abs diff: cached keys/values {worst:E2}, next step output {outputDiff:E2}");
        // Same positions computed in a batch of 4 vs 7 rows: equal up to float32 rounding of the projections.
        Assert.True(worst <= 1e-5, $"cache differs by {worst}");
        Assert.True(outputDiff <= 1e-5, $"next step differs by {outputDiff}");
    }

    [Fact]
    public void A_rollback_before_the_start_or_past_the_positions_seen_is_refused_and_changes_nothing()
    {
        using var local = LocalModel.Load(model.Directory);
        var budget = new KvCacheBudget(1L << 26);
        using var session = local.Blocks.OpenSession(1, 16, budget);
        using (var embedded = local.Head.EmbedSequence([1, 2, 3])) session.Step(embedded).Dispose();
        var before = session.SnapshotCaches();
        var past = Assert.Throws<SessionRollbackException>(() => session.Rollback(4));
        Assert.Contains("cannot roll back to position 4", past.Message);
        Assert.Throws<SessionRollbackException>(() => session.Rollback(-1));
        Assert.Equal(3, session.Position);
        foreach (var ((k1, v1), (k2, v2)) in before.Zip(session.SnapshotCaches()))
        {
            Assert.True(k1.allclose(k2, 0, 0) && v1.allclose(v2, 0, 0));
        }
        session.Rollback(0);
        Assert.Equal(0, session.Position);
    }

    [Fact]
    public async Task Speculative_greedy_with_prompt_lookup_equals_plain_greedy_token_for_token_over_24_prompts()
    {
        using var local = LocalModel.Load(model.Directory);
        var options = new GenerationOptions { MaxNewTokens = 24 };
        var speculative = new SpeculativeGenerator(local.Head, local.Pipeline, new NGramDrafter(), draftTokens: 4);
        foreach (var prompt in Prompts(local.Checkpoint.Config.VocabSize))
        {
            var plain = await local.CreateGenerator().GenerateAsync(prompt, options).ToListAsync();
            Assert.Equal(plain, await speculative.GenerateAsync(prompt, options).ToListAsync());
        }
        var stats = speculative.Statistics;
        output.WriteLine($"prompt lookup: {stats.Steps} steps for {24 * 24} tokens, {stats.Accepted}/{stats.Drafted} drafts accepted ({stats.AcceptanceRate:P0})");
        // Both paths ran: drafts were accepted (fewer steps than tokens) and rejected (rollbacks).
        Assert.InRange(stats.Accepted, 1, stats.Drafted - 1);
        Assert.True(stats.Steps < 24 * 24);
    }

    [Fact]
    public async Task Speculative_greedy_with_a_draft_model_equals_plain_greedy_and_stops_at_stop_tokens()
    {
        using var local = LocalModel.Load(model.Directory);
        var draftDirectory = TempDirectory.Create("draft");
        try
        {
            TinyModelGenerator.Write(draftDirectory, TinyModelFixture.TestShape with { Seed = 8, Layers = 2 });
            using var draft = LocalModel.Load(draftDirectory);
            var drafter = new DraftModelDrafter(draft.Head, draft.Pipeline, local.Checkpoint.Config.VocabSize);
            var speculative = new SpeculativeGenerator(local.Head, local.Pipeline, drafter, draftTokens: 3);
            var options = new GenerationOptions { MaxNewTokens = 20 };
            foreach (var prompt in Prompts(local.Checkpoint.Config.VocabSize).Take(8))
            {
                var plain = await local.CreateGenerator().GenerateAsync(prompt, options).ToListAsync();
                Assert.Equal(plain, await speculative.GenerateAsync(prompt, options).ToListAsync());
                var stop = plain[5];
                var stopped = await speculative.GenerateAsync(prompt, options with { StopTokenIds = new HashSet<int> { stop } }).ToListAsync();
                Assert.Equal(plain.Take(plain.IndexOf(stop) + 1), stopped);
            }
            output.WriteLine($"draft model: {speculative.Statistics.Accepted}/{speculative.Statistics.Drafted} drafts accepted");

            // The same model as its own drafter agrees on every draft.
            var self = new SpeculativeGenerator(local.Head, local.Pipeline, new DraftModelDrafter(local.Head, local.Pipeline, local.Checkpoint.Config.VocabSize), draftTokens: 4);
            var expected = await local.CreateGenerator().GenerateAsync([1, 2, 3], options).ToListAsync();
            Assert.Equal(expected, await self.GenerateAsync([1, 2, 3], options).ToListAsync());
            Assert.Equal(self.Statistics.Drafted, self.Statistics.Accepted);
        }
        finally
        {
            TempDirectory.Delete(draftDirectory);
        }
    }

    [Fact]
    public void A_draft_model_with_another_vocabulary_is_refused()
    {
        using var local = LocalModel.Load(model.Directory);
        var error = Assert.Throws<ArgumentException>(() => new DraftModelDrafter(local.Head, local.Pipeline, 1000));
        Assert.Contains("must share the tokenizer", error.Message);
    }

    [Fact]
    public void Prompt_lookup_proposes_what_followed_the_latest_match_of_the_suffix()
    {
        var drafter = new NGramDrafter(maxNgram: 2);
        // The suffix [2, 3] last occurred at index 6, followed by [4, 2, 3].
        Assert.Equal([4, 2, 3], drafter.Propose([1, 2, 3, 4, 9, 7, 2, 3, 4, 2, 3], 3).Tokens);
        Assert.Equal([5], drafter.Propose([5, 5], 2).Tokens);
        Assert.Empty(drafter.Propose([1, 2, 3], 4).Tokens);
        Assert.Empty(drafter.Propose([1], 4).Tokens);
    }

    /// <summary>
    /// The first token of speculative sampling, whose draft the rule accepts or rejects, against the model's own
    /// sampling distribution p at that position (temperature 2, top-k 8: 8 outcomes). 4000 generations, each with
    /// its own seed; Pearson's chi-square over the outcomes (cells with expected count below 5 merged) must stay
    /// below 29.88, the 1 − 10⁻⁴ quantile for 7 degrees of freedom, which bounds the false-failure probability by
    /// 10⁻⁴ for any number of cells up to 8. A drafter-biased rule fails it: accepting every draft would put
    /// probability 1 on the draft token instead of p(draft).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Speculative_sampling_keeps_the_models_distribution_of_the_first_token(bool draftModel)
    {
        using var local = LocalModel.Load(model.Directory);
        var draftDirectory = TempDirectory.Create("draft");
        try
        {
            TinyModelGenerator.Write(draftDirectory, TinyModelFixture.TestShape with { Seed = 8, Layers = 2 });
            using var draft = LocalModel.Load(draftDirectory);
            int[] prompt = [11, 12, 13, 11, 12];
            var sampling = new SamplingOptions { Temperature = 2, TopK = 8 };
            var p = new TokenSampler(sampling).Probabilities(local.Logits(prompt)[^1]);
            IDrafter drafter = draftModel ? new DraftModelDrafter(draft.Head, draft.Pipeline, local.Checkpoint.Config.VocabSize) : new NGramDrafter();
            var speculative = new SpeculativeGenerator(local.Head, local.Pipeline, drafter, draftTokens: 2);
            const int samples = 4000;
            var counts = new double[p.Length];
            // Seeds from one stream: consecutive seeds give correlated first draws in .NET's seeded Random.
            var seeds = new Random(2026);
            for (var i = 0; i < samples; i++)
            {
                var tokens = await speculative.GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = 3, Sampling = sampling with { Seed = seeds.Next() } }).ToListAsync();
                counts[tokens[0]]++;
            }
            var stats = speculative.Statistics;
            output.WriteLine($"{(draftModel ? "draft model" : "prompt lookup")}: {stats.Accepted}/{stats.Drafted} drafts accepted");
            Assert.InRange(stats.Accepted, 1, stats.Drafted - 1);

            var chiSquare = ChiSquare(counts, p, samples);
            output.WriteLine($"chi-square {chiSquare:F2} (bound 29.88); p = [{string.Join(", ", p.Where(x => x > 0).Select(x => x.ToString("F3")))}]");
            Assert.True(counts.Where((_, x) => p[x] == 0).Sum() == 0, "a token outside the model's top-k was emitted");
            Assert.True(chiSquare < 29.88, $"chi-square {chiSquare:F2}");
        }
        finally
        {
            TempDirectory.Delete(draftDirectory);
        }
    }

    private static double ChiSquare(double[] counts, double[] p, int samples)
    {
        double statistic = 0, mergedObserved = 0, mergedExpected = 0;
        for (var x = 0; x < p.Length; x++)
        {
            var expected = p[x] * samples;
            if (expected == 0) continue;
            if (expected < 5)
            {
                mergedObserved += counts[x];
                mergedExpected += expected;
                continue;
            }
            statistic += Math.Pow(counts[x] - expected, 2) / expected;
        }
        return mergedExpected > 0 ? statistic + Math.Pow(mergedObserved - mergedExpected, 2) / mergedExpected : statistic;
    }
}
