using System.Diagnostics;
using Peerz.Model.Checkpoints;
using Peerz.Model.Tokenization;
using Peerz.Model.Training;

namespace Peerz.Model.Tiny;

/// <summary>
/// How the default model is made, end to end: the story corpus (<see cref="StoryCorpus"/>), a 512-token byte-level
/// BPE tokenizer learned from it, the default tiny Llama shape with deterministic random initial weights, and
/// <see cref="TinyTrainer"/>. The shipped checkpoint is this recipe's output for the default arguments; running it
/// again with them reproduces it up to float rounding across CPUs and thread counts.
/// </summary>
public static class DefaultModelRecipe
{
    /// <summary>Characters of training text (about 600,000 tokens).</summary>
    public const int TrainingCharacters = 2_000_000;

    /// <summary>Held-out text: stories from another seed, never trained on.</summary>
    public const int HeldOutCharacters = 100_000;

    public sealed record Result(double TrainingLoss, double HeldOutLoss, int TrainingTokens, int HeldOutTokens, TimeSpan Elapsed);

    /// <param name="shape">The model's shape; null for the default model's. Another shape trained with the same seed
    /// learns the same tokenizer from the same corpus, so it can draft for the default model (speculative decoding).</param>
    public static Result Run(string directory, TrainingOptions training, ulong seed, TextWriter log, TinyModelOptions? shape = null,
        CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var text = StoryCorpus.Generate(seed, TrainingCharacters);
        var heldOutText = StoryCorpus.Generate(seed + 1, HeldOutCharacters);
        log.WriteLine($"corpus: {text.Length:N0} characters of generated stories (seed {seed}), held out {heldOutText.Length:N0} (seed {seed + 1})");

        shape = (shape ?? new TinyModelOptions()) with { Seed = seed };
        shape.Validate();
        TinyCheckpoint.Write(directory, shape, tokenizerText: text);
        var tokenizer = Tokenizer.Load(Path.Combine(directory, Checkpoint.TokenizerFile));
        var tokens = tokenizer.Encode(text, addSpecialTokens: false);
        var heldOut = tokenizer.Encode(heldOutText, addSpecialTokens: false);
        log.WriteLine($"tokenizer: {shape.Vocab} tokens learned from the corpus; {tokens.Length:N0} training tokens, {heldOut.Length:N0} held out");
        log.WriteLine($"model: {shape.Layers} blocks, hidden {shape.Hidden}, {shape.Heads} heads ({shape.KvHeads} KV); training {training.Steps} steps of {training.BatchSize} × {training.SequenceLength} tokens");

        var progress = new SynchronousProgress<TrainingProgress>(p =>
            log.WriteLine($"step {p.Step}/{p.Steps}: loss {p.Loss:F3}, rate {p.LearningRate:E1}, {p.TokensPerSecond:F0} tokens/s, {clock.Elapsed:mm\\:ss} elapsed"));
        var trainingLoss = TinyTrainer.Train(directory, tokens, training, SafetensorsDType.BF16, progress, cancellationToken);
        var heldOutLoss = TinyTrainer.Evaluate(directory, heldOut, training.SequenceLength);
        log.WriteLine($"done in {clock.Elapsed:mm\\:ss}: training loss {trainingLoss:F3}, held-out loss {heldOutLoss:F3} nats/token (uniform guessing: {Math.Log(shape.Vocab):F3})");
        return new Result(trainingLoss, heldOutLoss, tokens.Length, heldOut.Length, clock.Elapsed);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and interleave the log).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
