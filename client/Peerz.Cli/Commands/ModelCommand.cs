using System.CommandLine;
using System.Text.Json;
using Peerz.Hosting;
using Peerz.Model;
using Peerz.Model.Tiny;
using Peerz.Model.Training;

namespace Peerz.Cli.Commands;

/// <summary>`peerz model init-tiny` and `peerz model logits`: create the embedded model and print reference logits.</summary>
public static class ModelCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var command = new Command("model", "Create and inspect model checkpoints");
        command.Subcommands.Add(InitTiny(settingsFor, config));
        command.Subcommands.Add(TrainTiny(settingsFor, config));
        command.Subcommands.Add(Logits(settingsFor, config));
        return command;
    }

    private static Command InitTiny(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var defaults = new TinyModelOptions();
        var output = new Option<string>("--out") { Description = "Directory to write config.json, model.safetensors and tokenizer.json to", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the deterministic weights", DefaultValueFactory = _ => defaults.Seed };
        var layers = new Option<int>("--layers") { Description = "Transformer blocks", DefaultValueFactory = _ => defaults.Layers };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size", DefaultValueFactory = _ => defaults.Hidden };
        var heads = new Option<int>("--heads") { Description = "Attention heads", DefaultValueFactory = _ => defaults.Heads };
        var kvHeads = new Option<int>("--kv-heads") { Description = "Key/value heads (grouped-query attention)", DefaultValueFactory = _ => defaults.KvHeads };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size (byte-level BPE, at least 259)", DefaultValueFactory = _ => defaults.Vocab };
        var modelType = new Option<string>("--model-type")
        {
            Description = $"Architecture of the random model: {string.Join(", ", Peerz.Model.Configuration.ModelConfig.SupportedModelTypes)}",
            DefaultValueFactory = _ => defaults.ModelType,
        };
        var experts = new Option<int>("--experts") { Description = "Mixture-of-experts models: experts per block", DefaultValueFactory = _ => defaults.Experts };
        var expertsPerToken = new Option<int>("--experts-per-token") { Description = "Mixture-of-experts models: experts each token is routed to", DefaultValueFactory = _ => defaults.ExpertsPerToken };
        var random = new Option<bool>("--random") { Description = "Deterministic random weights of the shape given by --model-type, --seed, --layers, --hidden, --heads, --kv-heads and --vocab instead of the trained default model" };
        var command = new Command("init-tiny", "Write the embedded default model (a tiny Llama trained on generated stories), or with --random one with deterministic random weights")
        {
            output, random, modelType, seed, layers, hidden, heads, kvHeads, vocab, experts, expertsPerToken,
        };
        command.SetAction(result =>
        {
            var settings = settingsFor(result.GetValue(config));
            var directory = settings.Get(result, output);
            if (!result.GetValue(random))
            {
                var shapeOption = new Option[] { modelType, seed, layers, hidden, heads, kvHeads, vocab, experts, expertsPerToken }.FirstOrDefault(o => result.GetResult(o) is { Implicit: false });
                if (shapeOption is not null) throw new UserErrorException($"{shapeOption.Name} shapes a random model: add --random (the trained default model has one shape)");
                TrainedTinyModel.WriteTo(directory);
                Console.WriteLine($"wrote the default model (a tiny Llama trained on generated stories) to {directory}");
                return;
            }

            var options = new TinyModelOptions
            {
                ModelType = settings.Get(result, modelType),
                Experts = settings.Get(result, experts),
                ExpertsPerToken = settings.Get(result, expertsPerToken),
                Seed = settings.Get(result, seed),
                Layers = settings.Get(result, layers),
                Hidden = settings.Get(result, hidden),
                Heads = settings.Get(result, heads),
                KvHeads = settings.Get(result, kvHeads),
                Vocab = settings.Get(result, vocab),
            };
            var written = TinyCheckpoint.Write(directory, Checked(options));
            var moe = written.IsMixtureOfExperts ? $", {written.NumExperts} experts, top-{written.ExpertsPerToken}" : "";
            Console.WriteLine($"wrote a {written.NumLayers}-block tiny {written.ModelType} (hidden {written.HiddenSize}, vocab {written.VocabSize}{moe}) to {directory}");
        });
        return command;
    }

    private static Command TrainTiny(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var defaults = new TrainingOptions();
        var output = new Option<string>("--out") { Description = "Directory to write the trained model to", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the corpus, the initial weights and the training windows", DefaultValueFactory = _ => 42 };
        var steps = new Option<int>("--steps") { Description = "Training steps", DefaultValueFactory = _ => defaults.Steps };
        var defaultShape = new TinyModelOptions();
        var layers = new Option<int>("--layers") { Description = "Blocks (a smaller shape with the same seed shares the tokenizer: a draft model for --draft-model)", DefaultValueFactory = _ => defaultShape.Layers };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size", DefaultValueFactory = _ => defaultShape.Hidden };
        var command = new Command("train-tiny", "Train the default model from scratch on generated stories (reproduces the shipped checkpoint; about 10–20 minutes on 2 cores)")
        {
            output, seed, steps, layers, hidden,
        };
        command.SetAction((result, cancellationToken) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var training = defaults with { Steps = settings.Get(result, steps) is > 0 and var n ? n : throw new UserErrorException("--steps must be positive"), Seed = settings.Get(result, seed) };
            var shape = Checked(defaultShape with { Layers = settings.Get(result, layers), Hidden = settings.Get(result, hidden) });
            DefaultModelRecipe.Run(settings.Get(result, output), training, training.Seed, Console.Out, shape, cancellationToken);
            return Task.CompletedTask;
        });
        return command;
    }

    /// <summary>A tiny model shape from the command line, refused with the reason when it cannot be built (a user error, not a crash).</summary>
    private static TinyModelOptions Checked(TinyModelOptions shape)
    {
        try
        {
            shape.Validate();
            return shape;
        }
        catch (ArgumentException e)
        {
            throw new UserErrorException(e.Message);
        }
    }

    private static Command Logits(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var model = ModelOptions.Model();
        var tokenIds = new Option<string>("--token-ids") { Description = "Comma-separated token ids, e.g. 3,17,42", Required = true };
        var dtype = ModelOptions.DType();
        var quant = ModelOptions.Quant();
        var command = new Command("logits", "Print JSON {\"logits\": [[...], ...]}: one float32 row per position from a full local forward pass")
        {
            model, tokenIds, dtype, quant,
        };
        command.SetAction(result =>
        {
            var settings = settingsFor(result.GetValue(config));
            var ids = ParseTokenIds(settings.Get(result, tokenIds));
            var directory = DefaultModel.Resolve(settings.Get(result, model), Console.Error);
            using var local = LocalModel.Load(directory, ModelOptions.LoadOptions(settings.Get(result, dtype), settings.Get(result, quant)));
            if (ids.FirstOrDefault(id => id >= local.Checkpoint.Config.VocabSize, -1) is var bad and >= 0)
                throw new UserErrorException($"token id {bad} is outside the vocabulary [0, {local.Checkpoint.Config.VocabSize})");
            using var stdout = Console.OpenStandardOutput();
            using var writer = new Utf8JsonWriter(stdout);
            writer.WriteStartObject();
            writer.WriteStartArray("logits");
            foreach (var row in local.Logits(ids))
            {
                writer.WriteStartArray();
                foreach (var value in row) writer.WriteNumberValue(value);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
            stdout.WriteByte((byte)'\n');
        });
        return command;
    }

    private static int[] ParseTokenIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new UserErrorException("--token-ids needs at least one id");
        return parts.Select(part => int.TryParse(part, out var id) && id >= 0
            ? id
            : throw new UserErrorException($"'{part}' in --token-ids is not a non-negative integer")).ToArray();
    }
}
