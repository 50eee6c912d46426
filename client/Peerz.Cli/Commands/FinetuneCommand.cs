using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Peerz.Client.Training;
using Peerz.Hosting;
using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Tokenization;

using static TorchSharp.torch;

namespace Peerz.Cli.Commands;

/// <summary>
/// `peerz finetune`: train soft prompts (optionally deep ones) or, with `--method lora`, a LoRA adapter saved in PEFT's
/// layout, on a text file; the model's own weights stay frozen.
/// </summary>
public static class FinetuneCommand
{
    /// <summary>Training text is read whole; this bounds the memory a wrong path can cost.</summary>
    private const long MaxDataBytes = 64L << 20;

    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var backendOptions = new BackendOptions();
        var data = new Option<string>("--data") { Description = "UTF-8 text file to train on", Required = true };
        var method = new Option<string>("--method") { Description = "What to train: prompt (soft prompts) or lora (low-rank adapters of the blocks' projections)", DefaultValueFactory = _ => "prompt" };
        method.AcceptOnlyFromAmong("prompt", "lora");
        var deep = new Option<bool>("--deep") { Description = "Deep prompt tuning: also train a prompt added at every block's input" };
        var rank = new Option<int>("--rank") { Description = "LoRA rank r", DefaultValueFactory = _ => 8 };
        var alpha = new Option<double>("--lora-alpha") { Description = "LoRA alpha: the update is scaled by alpha / r", DefaultValueFactory = _ => 16 };
        var targets = new Option<string?>("--target-modules")
        {
            Description = $"Comma-separated projections to adapt: {string.Join(", ", LoraModules.All)} (llama, mistral, qwen2; default {string.Join(",", LoraModules.Default)}), "
                + $"{string.Join(", ", LoraModules.MixtureAll)} (mixtral, w1/w2/w3 in every expert; default {string.Join(",", LoraModules.Default)}) "
                + $"or {string.Join(", ", LoraModules.FusedAll)} (bloom, falcon; default {string.Join(",", LoraModules.FusedDefault)})",
        };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => 50 };
        var prefix = new Option<int>("--prefix-length") { Description = "Soft prompt tokens", DefaultValueFactory = _ => 8 };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per step (split across providers serving the same blocks)", DefaultValueFactory = _ => 4 };
        var sequenceLength = new Option<int>("--sequence-length") { Description = "Tokens per training sequence", DefaultValueFactory = _ => 64 };
        var learningRate = new Option<double>("--learning-rate") { Description = "Adam step size", DefaultValueFactory = _ => 0.01 };
        var seed = new Option<int>("--seed") { Description = "Seed for the prompts' initialisation and the batch order", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "Where to save the result (default prompts.safetensors, or the directory lora-adapter for --method lora)" };
        var command = new Command("finetune", "Train soft prompts (prompt tuning) or a LoRA adapter on a text file, through the swarm or locally")
        {
            data, method, deep, rank, alpha, targets, steps, prefix, batchSize, sequenceLength, learningRate, seed, output,
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
            // Which providers served each step's shares (the batch is split across providers of the same blocks).
            var served = new ConcurrentDictionary<string, byte>();
            if (backend.Training is DistributedTrainingPipeline swarm) swarm.ShareServed += share => served.TryAdd(share.PeerId, 0);
            async Task TrainAsync(Func<Tensor, Task<double>> step)
            {
                for (var i = 0; i < stepCount; i++)
                {
                    var clock = Stopwatch.StartNew();
                    served.Clear();
                    using var batch = batches.Batch(i);
                    var loss = await step(batch);
                    var via = served.IsEmpty ? "" : $", {served.Count} providers";
                    Console.WriteLine($"step {i + 1}/{stepCount} loss {loss:F4} ({clock.Elapsed.TotalSeconds:F2} s{via})");
                }
            }
            var tuningOptions = new PromptTuningOptions { LearningRate = Positive(settings.Get(result, learningRate), "--learning-rate") };
            if (settings.Get(result, method) == "lora")
            {
                var config = backend.Head.Config;
                var modules = settings.Get(result, targets)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList()
                    ?? [.. LoraModules.DefaultFor(config)];
                var unknown = modules.Where(m => !LoraModules.AllFor(config).Contains(m)).ToList();
                if (modules.Count == 0 || unknown.Count > 0)
                    throw new UserErrorException($"--target-modules: {config.ModelType} blocks have no {string.Join(", ", unknown)}; choose among {string.Join(", ", LoraModules.AllFor(config))}");
                var r = Positive(settings.Get(result, rank), "--rank");
                if (r > LoraAdapter.MaxRank) throw new UserErrorException($"--rank must be at most {LoraAdapter.MaxRank}");
                var loraAlpha = Positive(settings.Get(result, alpha), "--lora-alpha");
                using var fresh = CreateAdapter(config, modules, r, loraAlpha, settings.Get(result, seed));
                using var loraTuner = new LoraTuner(backend.Head, backend.Training, fresh, tuningOptions, logging.CreateLogger<LoraTuner>());
                Console.Error.WriteLine($"{ids.Length} tokens in {batches.SequenceCount} sequences of {length}; LoRA rank {r}, alpha {loraAlpha} on {string.Join(", ", modules)} of {config.NumLayers} blocks");
                await TrainAsync(batch => loraTuner.StepAsync(batch, cancellationToken));
                var adapterPath = settings.Get(result, output) ?? "lora-adapter";
                PeftLoraFiles.Save(adapterPath, loraTuner.Adapter, loraAlpha, Path.GetFileName(Path.GetFullPath(directory)));
                Console.WriteLine($"saved the adapter to {adapterPath} in PEFT's layout (use: peerz generate --adapter {adapterPath} ...)");
                return;
            }
            using var prompts = SoftPrompts.Create(backend.Head.Config, Positive(settings.Get(result, prefix), "--prefix-length"), settings.Get(result, deep), settings.Get(result, seed));
            using var tuner = new PromptTuner(backend.Head, backend.Training, prompts, tuningOptions, logging.CreateLogger<PromptTuner>());
            Console.Error.WriteLine($"{ids.Length} tokens in {batches.SequenceCount} sequences of {length}; {(prompts.Deep is null ? "prompt" : "deep prompt")} tuning with {prompts.PrefixLength} prompt tokens");
            await TrainAsync(batch => tuner.StepAsync(batch, cancellationToken));
            var path = settings.Get(result, output) ?? "prompts.safetensors";
            prompts.Save(path);
            Console.WriteLine($"saved prompts to {path} (use: peerz generate --prompts {path} ...)");
        });
        return command;
    }

    /// <summary>A fresh adapter (PEFT's initialisation) for every block; a model that cannot take it is a user error.</summary>
    private static LoraAdapter CreateAdapter(Peerz.Model.Configuration.ModelConfig config, IReadOnlyList<string> modules, int rank, double alpha, int seed)
    {
        try
        {
            return LoraAdapter.Create(config, 0, config.NumLayers, modules, rank, alpha, seed);
        }
        catch (ArgumentException e)
        {
            throw new UserErrorException($"--target-modules: {e.Message}");
        }
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
