using System.CommandLine;
using System.Text.Json;
using Peerz.Hosting;
using Peerz.Model;
using Peerz.Model.Tiny;

namespace Peerz.Cli.Commands;

/// <summary>`peerz model init-tiny` and `peerz model logits`: create the embedded model and print reference logits.</summary>
public static class ModelCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var command = new Command("model", "Create and inspect model checkpoints");
        command.Subcommands.Add(InitTiny(settingsFor, config));
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
        var command = new Command("init-tiny", "Write a tiny Llama checkpoint with deterministic random weights (the embedded default model)")
        {
            output, seed, layers, hidden, heads, kvHeads, vocab,
        };
        command.SetAction(result =>
        {
            var settings = settingsFor(result.GetValue(config));
            var options = new TinyModelOptions
            {
                Seed = settings.Get(result, seed),
                Layers = settings.Get(result, layers),
                Hidden = settings.Get(result, hidden),
                Heads = settings.Get(result, heads),
                KvHeads = settings.Get(result, kvHeads),
                Vocab = settings.Get(result, vocab),
            };
            var directory = settings.Get(result, output);
            var written = TinyCheckpoint.Write(directory, options);
            Console.WriteLine($"wrote a {written.NumLayers}-block tiny Llama (hidden {written.HiddenSize}, vocab {written.VocabSize}) to {directory}");
        });
        return command;
    }

    private static Command Logits(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var model = CommonOptions.Model();
        var tokenIds = new Option<string>("--token-ids") { Description = "Comma-separated token ids, e.g. 3,17,42", Required = true };
        var dtype = CommonOptions.DType();
        var quant = CommonOptions.Quant();
        var command = new Command("logits", "Print JSON {\"logits\": [[...], ...]}: one float32 row per position from a full local forward pass")
        {
            model, tokenIds, dtype, quant,
        };
        command.SetAction(result =>
        {
            var settings = settingsFor(result.GetValue(config));
            var ids = ParseTokenIds(settings.Get(result, tokenIds));
            var directory = DefaultModel.Resolve(settings.Get(result, model), Console.Error);
            using var local = LocalModel.Load(directory, CommonOptions.LoadOptions(settings.Get(result, dtype), settings.Get(result, quant)));
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
