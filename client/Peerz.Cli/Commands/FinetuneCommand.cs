using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Peerz.Client.Training;
using Peerz.Hosting;
using Peerz.Model.Checkpoints;
using Peerz.Model.Tokenization;

namespace Peerz.Cli.Commands;

/// <summary>`peerz finetune`: train soft prompts (optionally deep ones) on a text file; the model stays frozen.</summary>
public static class FinetuneCommand
{
    /// <summary>Training text is read whole; this bounds the memory a wrong path can cost.</summary>
    private const long MaxDataBytes = 64L << 20;

    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var backendOptions = new BackendOptions();
        var data = new Option<string>("--data") { Description = "UTF-8 text file to train on", Required = true };
        var deep = new Option<bool>("--deep") { Description = "Deep prompt tuning: also train a prompt added at every block's input" };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => 50 };
        var prefix = new Option<int>("--prefix-length") { Description = "Soft prompt tokens", DefaultValueFactory = _ => 8 };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per step (split across providers serving the same blocks)", DefaultValueFactory = _ => 4 };
        var sequenceLength = new Option<int>("--sequence-length") { Description = "Tokens per training sequence", DefaultValueFactory = _ => 64 };
        var learningRate = new Option<double>("--learning-rate") { Description = "Adam step size", DefaultValueFactory = _ => 0.01 };
        var seed = new Option<int>("--seed") { Description = "Seed for the prompts' initialisation and the batch order", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Where to save the trained prompts", DefaultValueFactory = _ => "prompts.safetensors" };
        var command = new Command("finetune", "Train soft prompts (prompt tuning) on a text file, through the swarm or locally")
        {
            data, deep, steps, prefix, batchSize, sequenceLength, learningRate, seed, output,
        };
        backendOptions.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var stepCount = Positive(settings.Get(result, steps), "--steps");
            var length = settings.Get(result, sequenceLength);
            if (length < 2) throw new UserErrorException("--sequence-length must be at least 2");
            var text = ReadText(settings.Get(result, data));
            using var logging = CliLogging.Create(settings, result, LogLevel.Warning);
            var (backend, _, directory) = await backendOptions.OpenAsync(settings, result, cancellationToken, logging);
            await using var disposeBackend = backend;
            var tokenizer = Tokenizer.Load(Path.Combine(directory, Checkpoint.TokenizerFile));
            var ids = tokenizer.Encode(text, addSpecialTokens: false);
            if (ids.Length < length)
                throw new UserErrorException($"the data holds {ids.Length} tokens; --sequence-length is {length}: give more text or shorter sequences");
            var batches = new TrainingData(ids, length, Positive(settings.Get(result, batchSize), "--batch-size"), settings.Get(result, seed));
            using var prompts = SoftPrompts.Create(backend.Head.Config, Positive(settings.Get(result, prefix), "--prefix-length"), settings.Get(result, deep), settings.Get(result, seed));
            using var tuner = new PromptTuner(backend.Head, backend.Training, prompts,
                new PromptTuningOptions { LearningRate = Positive(settings.Get(result, learningRate), "--learning-rate") }, logging.CreateLogger<PromptTuner>());
            Console.Error.WriteLine($"{ids.Length} tokens in {batches.SequenceCount} sequences of {length}; {(prompts.Deep is null ? "prompt" : "deep prompt")} tuning with {prompts.PrefixLength} prompt tokens");
            // Which providers served each step's shares (the batch is split across providers of the same blocks).
            var served = new ConcurrentDictionary<string, byte>();
            if (backend.Training is DistributedTrainingPipeline swarm) swarm.ShareServed += share => served.TryAdd(share.PeerId, 0);
            for (var step = 0; step < stepCount; step++)
            {
                var clock = Stopwatch.StartNew();
                served.Clear();
                using var batch = batches.Batch(step);
                var loss = await tuner.StepAsync(batch, cancellationToken);
                var via = served.IsEmpty ? "" : $", {served.Count} providers";
                Console.WriteLine($"step {step + 1}/{stepCount} loss {loss:F4} ({clock.Elapsed.TotalSeconds:F2} s{via})");
            }
            var path = settings.Get(result, output);
            prompts.Save(path);
            Console.WriteLine($"saved prompts to {path} (use: peerz generate --prompts {path} ...)");
        });
        return command;
    }

    private static string ReadText(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists) throw new UserErrorException($"--data: no such file '{path}'");
        if (file.Length > MaxDataBytes) throw new UserErrorException($"--data: '{path}' is {file.Length} bytes; at most {MaxDataBytes} are read");
        return File.ReadAllText(path);
    }

    private static T Positive<T>(T value, string option) where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new UserErrorException($"{option} must be positive");
}
