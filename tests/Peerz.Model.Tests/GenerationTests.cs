using Peerz.Model.Generation;
using Peerz.Model.Tiny;

namespace Peerz.Model.Tests;

public sealed class GenerationTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void Greedy_and_top_k_1_pick_the_largest_logit()
    {
        float[] logits = [0.1f, 2.5f, -1f, 2.4f];
        Assert.Equal(1, new TokenSampler(SamplingOptions.Greedy).Next(logits));
        Assert.Equal(1, new TokenSampler(new SamplingOptions { Temperature = 5, TopK = 1, Seed = 3 }).Next(logits));
    }

    [Fact]
    public void Sampling_follows_the_softmax_distribution_and_top_p_cuts_the_tail()
    {
        // logits ln(0.5), ln(0.3), ln(0.15), ln(0.05): probabilities 0.5/0.3/0.15/0.05 at temperature 1.
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];
        var counts = Count(new SamplingOptions { Temperature = 1, Seed = 11 }, logits, 20000);
        // Binomial standard deviation at n = 20000 is at most 0.0035; 0.015 is over 4 sigma.
        Assert.Equal(0.5, counts[0], 0.015);
        Assert.Equal(0.3, counts[1], 0.015);
        Assert.Equal(0.15, counts[2], 0.015);
        Assert.Equal(0.05, counts[3], 0.015);

        // top-p 0.8 keeps {0.5, 0.3} and renormalises to 0.625 / 0.375.
        var nucleus = Count(new SamplingOptions { Temperature = 1, TopP = 0.8, Seed = 12 }, logits, 20000);
        Assert.Equal(0.625, nucleus[0], 0.015);
        Assert.Equal(0, nucleus[2] + nucleus[3]);

        var topTwo = Count(new SamplingOptions { Temperature = 1, TopK = 2, Seed = 13 }, logits, 20000);
        Assert.Equal(0, topTwo[2] + topTwo[3]);
    }

    private static double[] Count(SamplingOptions options, float[] logits, int draws)
    {
        var sampler = new TokenSampler(options);
        var counts = new double[logits.Length];
        for (var i = 0; i < draws; i++) counts[sampler.Next(logits)]++;
        return counts.Select(c => c / draws).ToArray();
    }

    [Theory]
    [InlineData(-1, 0, 1.0)]
    [InlineData(1, -1, 1.0)]
    [InlineData(1, 0, 0.0)]
    [InlineData(1, 0, 1.5)]
    public void Invalid_sampling_options_are_rejected(double temperature, int topK, double topP) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP }));

    [Fact]
    public async Task Seeded_sampling_is_reproducible_and_stop_tokens_end_generation()
    {
        using var local = LocalModel.Load(model.Directory);
        var options = new GenerationOptions { MaxNewTokens = 20, Sampling = new SamplingOptions { Temperature = 0.8, TopK = 40, TopP = 0.95, Seed = 5 } };
        var first = await local.CreateGenerator().GenerateAsync([1, 2, 3], options).ToListAsync();
        var second = await local.CreateGenerator().GenerateAsync([1, 2, 3], options).ToListAsync();
        Assert.Equal(first, second);
        Assert.Equal(20, first.Count);

        var stop = first[4];
        var stopped = await local.CreateGenerator().GenerateAsync([1, 2, 3], options with { StopTokenIds = new HashSet<int> { stop } }).ToListAsync();
        Assert.Equal(first.Take(first.IndexOf(stop) + 1), stopped);
    }

    [Fact]
    public void The_tiny_model_is_deterministic_per_seed_and_its_logits_are_far_from_uniform()
    {
        var a = TempDirectory.Create("seed");
        var b = TempDirectory.Create("seed");
        var c = TempDirectory.Create("seed");
        try
        {
            TinyModelGenerator.Write(a, TinyModelFixture.TestShape);
            TinyModelGenerator.Write(b, TinyModelFixture.TestShape);
            TinyModelGenerator.Write(c, TinyModelFixture.TestShape with { Seed = 8 });
            var bytesA = File.ReadAllBytes(Path.Combine(a, "model.safetensors"));
            Assert.Equal(bytesA, File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
            Assert.NotEqual(bytesA, File.ReadAllBytes(Path.Combine(c, "model.safetensors")));

            using var local = LocalModel.Load(a);
            foreach (var row in local.Logits([1, 2, 3, 4, 5, 6]))
            {
                var max = row.Max();
                var probabilities = row.Select(v => Math.Exp(v - max)).ToArray();
                var total = probabilities.Sum();
                var entropy = -probabilities.Sum(p => p / total * Math.Log(p / total));
                // Uniform over 256 tokens has entropy ln 256 = 5.55 nats; random weights with unit
                // scale residuals and logit std ~4 give a peaked distribution.
                Assert.True(entropy < 0.8 * Math.Log(row.Length), $"entropy {entropy:F2} is close to uniform");
            }
        }
        finally
        {
            TempDirectory.Delete(a);
            TempDirectory.Delete(b);
            TempDirectory.Delete(c);
        }
    }
}
