using System.Text.RegularExpressions;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Model.Tiny;
using Peerz.Model.Tokenization;
using Peerz.Model.Training;
using Peerz.Testing;
using Xunit.Abstractions;

namespace Peerz.Model.Tests.Training;

/// <summary>The shipped default model, written out as a new user's first run writes it.</summary>
public sealed partial class TrainedTinyModelTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create("default-model");
    private readonly ITestOutputHelper _output;

    public TrainedTinyModelTests(ITestOutputHelper output)
    {
        _output = output;
        TrainedTinyModel.WriteTo(_directory);
    }

    [Fact]
    public void It_has_learned_the_stories_it_was_trained_on_measured_on_stories_it_never_saw()
    {
        var tokenizer = Tokenizer.Load(Path.Combine(_directory, Checkpoint.TokenizerFile));
        // Seed 43 is the recipe's held-out text (training used seed 42); a fresh seed too, in case that one leaked.
        foreach (var seed in new ulong[] { DefaultModelSeed + 1, 977 })
        {
            var heldOut = tokenizer.Encode(StoryCorpus.Generate(seed, 30_000), addSpecialTokens: false);
            var loss = TinyTrainer.Evaluate(_directory, heldOut, 128);
            _output.WriteLine($"held-out loss {loss:F3} nats/token on stories of seed {seed}; uniform guessing {Math.Log(512):F3}");
            // Uniform guessing over 512 tokens costs ln 512 ≈ 6.24 nats; the recipe's run measured 0.287 (docs/models.md).
            // 0.5 leaves room for other CPUs' rounding (the weights are shipped, so only evaluation rounding can differ)
            // while failing any model that has not learned the text.
            Assert.True(loss < 0.5, $"held-out loss {loss:F3} nats/token on stories of seed {seed}");
        }
    }

    [Fact]
    public async Task Its_greedy_continuation_is_made_of_the_stories_words()
    {
        using var model = LocalModel.Load(_directory);
        var tokenizer = Tokenizer.Load(Path.Combine(_directory, Checkpoint.TokenizerFile));
        var prompt = tokenizer.Encode("Once upon a time, there was a", addSpecialTokens: true);
        var generated = await model.CreateGenerator().GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = 60 }).ToListAsync();
        var text = tokenizer.Decode([.. generated]);
        var known = Words(StoryCorpus.Generate(DefaultModelSeed, 200_000)).ToHashSet();
        var words = Words(text).ToList();
        Assert.True(words.Count >= 20, text);
        // A random-weight model writes byte soup here; this one writes the corpus' words, nearly all of them.
        Assert.True(words.Count(known.Contains) >= 0.9 * words.Count, text);
    }

    [Fact]
    public async Task Sampled_generation_is_the_same_for_a_seed_and_differs_for_another()
    {
        var tokenizer = Tokenizer.Load(Path.Combine(_directory, Checkpoint.TokenizerFile));
        var prompt = tokenizer.Encode("Once upon a time, there was a", addSpecialTokens: true);
        async Task<string> SampleAsync(int seed)
        {
            // A fresh load each time: nothing carries over from one generation to the next but the files.
            using var model = LocalModel.Load(_directory);
            var options = new GenerationOptions { MaxNewTokens = 40, Sampling = new SamplingOptions { Temperature = 1.0, TopK = 50, Seed = seed } };
            return tokenizer.Decode([.. await model.CreateGenerator().GenerateAsync(prompt, options).ToListAsync()]);
        }

        var first = await SampleAsync(7);
        var again = await SampleAsync(7);
        var other = await SampleAsync(8);
        _output.WriteLine($"seed 7: {first}\nseed 8: {other}");
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    private const ulong DefaultModelSeed = 42;

    private static IEnumerable<string> Words(string text) => WordPattern().Matches(text).Select(m => m.Value);

    [GeneratedRegex(@"[A-Za-z]+")]
    private static partial Regex WordPattern();

    public void Dispose() => TempDirectory.Delete(_directory);
}
