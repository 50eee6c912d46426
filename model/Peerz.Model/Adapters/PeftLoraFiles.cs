using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Adapters;

/// <summary>
/// LoRA adapters as Hugging Face PEFT saves them (<c>PeftModel.save_pretrained</c>): a directory with
/// <c>adapter_config.json</c> (peft_type LORA, r, lora_alpha, target_modules, …) and <c>adapter_model.safetensors</c>
/// whose tensors are named as <c>get_peft_model_state_dict</c> names them for a causal LM:
/// <c>base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight</c> ([r, in]) and <c>….lora_B.weight</c> ([out, r])
/// for the Llama family, <c>base_model.model.model.layers.{i}.block_sparse_moe.experts.{e}.w1.lora_A.weight</c> for a
/// Mixtral expert, <c>base_model.model.transformer.h.{i}.self_attention.query_key_value.lora_A.weight</c> for BLOOM
/// and Falcon (whose causal LMs hold their layers in <c>transformer.h</c>).
/// So an adapter trained here loads with <c>PeftModel.from_pretrained</c>, and one trained with PEFT loads here.
/// </summary>
public static partial class PeftLoraFiles
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>A bound on the weights file read by default: 256 MB, well above rank 64 on every projection of a 7B model.</summary>
    public const long DefaultMaxBytes = 256L << 20;

    public static string TensorName(int block, string module, char matrix) =>
        $"base_model.model.{LoraModules.Layers(module)}.{block}.{LoraModules.Parent(module)}.{module}.lora_{matrix}.weight";

    /// <summary>Writes <paramref name="adapter"/> (one rank and alpha for all its projections) to <paramref name="directory"/>.</summary>
    public static void Save(string directory, LoraAdapter adapter, double alpha, string baseModel)
    {
        Directory.CreateDirectory(directory);
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModel,
            ["r"] = adapter.Rank,
            ["lora_alpha"] = alpha,
            ["lora_dropout"] = 0.0,
            ["target_modules"] = new JsonArray(adapter.Weights.Select(w => LoraModules.Target(w.Module)).Distinct().Order(StringComparer.Ordinal).Select(m => (JsonNode)m!).ToArray()),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["use_rslora"] = false,
            ["use_dora"] = false,
            ["modules_to_save"] = null,
            ["layers_to_transform"] = null,
            ["rank_pattern"] = new JsonObject(),
            ["alpha_pattern"] = new JsonObject(),
            ["revision"] = null,
        };
        File.WriteAllText(Path.Combine(directory, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        using var scope = NewDisposeScope();
        var tensors = adapter.Weights
            .SelectMany(w => new[] { (TensorName(w.Block, w.Module, 'A'), w.A.detach().to_type(ScalarType.Float32).contiguous()), (TensorName(w.Block, w.Module, 'B'), w.B.detach().to_type(ScalarType.Float32).contiguous()) })
            .ToList();
        SafetensorsWriter.Write(Path.Combine(directory, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>
    /// Reads a PEFT LoRA directory for a model of <paramref name="config"/>, refusing what we cannot apply exactly (other
    /// PEFT types, fan_in_fan_out, DoRA, per-module rank/alpha patterns, biases), unknown tensors, wrong shapes, and weights
    /// files over <paramref name="maxBytes"/>; each refusal is a <see cref="CheckpointFormatException"/> saying why.
    /// </summary>
    public static (LoraAdapter Adapter, double Alpha) Load(string directory, ModelConfig config, long maxBytes = DefaultMaxBytes)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(configPath)) throw new CheckpointFormatException(directory, $"no {ConfigFile}: not a PEFT adapter directory");
        if (!File.Exists(weightsPath)) throw new CheckpointFormatException(directory, $"no {WeightsFile}");
        var size = new FileInfo(weightsPath).Length;
        if (size > maxBytes) throw new CheckpointFormatException(weightsPath, $"{size} bytes exceeds the adapter limit of {maxBytes}");
        var (rank, alpha, scaling) = ReadSettings(configPath);

        using var file = SafetensorsFile.Open(weightsPath);
        var pairs = new SortedDictionary<(int Block, string Module), (Tensor? A, Tensor? B)>();
        try
        {
            foreach (var name in file.Tensors.Keys)
            {
                var match = TensorNamePattern().Match(name);
                // The whole name must be the one TensorName gives: the right layers path and parent for the module.
                if (!match.Success || !LoraModules.Supports(config, match.Groups[2].Value)
                    || TensorName(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value, match.Groups[3].Value[0]) != name)
                    throw new CheckpointFormatException(weightsPath, $"tensor '{name}' is not a LoRA weight of a {config.ModelType} projection ({string.Join(", ", LoraModules.AllFor(config))})");
                var key = (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value);
                var tensor = file.Load(name).MoveToDType(ScalarType.Float32);
                var pair = pairs.GetValueOrDefault(key);
                pairs[key] = match.Groups[3].Value == "A" ? (tensor, pair.B) : (pair.A, tensor);
            }
            foreach (var ((block, module), (a, b)) in pairs)
            {
                if (a is null || b is null)
                    throw new CheckpointFormatException(weightsPath, $"block {block} {module} lacks lora_{(a is null ? 'A' : 'B')}");
            }
            var adapter = new LoraAdapter(scaling, pairs.Select(p => new LoraWeight(p.Key.Block, p.Key.Module, p.Value.A!, p.Value.B!)).ToList());
            if (adapter.Rank != rank && adapter.Weights.Count > 0)
                throw new CheckpointFormatException(configPath, $"r is {rank} but the weights have rank {adapter.Rank}");
            adapter.Validate(config, 0, config.NumLayers);
            return (adapter, alpha);
        }
        catch (Exception e) when (e is CheckpointFormatException or ArgumentException)
        {
            foreach (var (a, b) in pairs.Values)
            {
                a?.Dispose();
                b?.Dispose();
            }
            throw e as CheckpointFormatException ?? new CheckpointFormatException(weightsPath, e.Message, e);
        }
    }

    /// <summary>
    /// Settings PEFT writes (up to 0.19) that change what the adapter computes or add weights beyond A and B: each must be
    /// at its default (absent, null, false or empty). The others (layers_to_transform, exclude_modules, loftq_config,
    /// init_lora_weights, …) only chose which modules got an adapter or how it started, which the weights file shows.
    /// </summary>
    private static readonly string[] ChangesWhatIsComputed =
    [
        "fan_in_fan_out", "use_dora", "rank_pattern", "alpha_pattern", "lora_bias", "use_qalora", "use_bdlora", "layer_replication",
        "modules_to_save", "trainable_token_indices", "target_parameters", "alora_invocation_tokens",
    ];

    /// <summary>Rank, alpha and the scaling applied to B·A, from adapter_config.json; anything we cannot apply exactly is refused by name.</summary>
    private static (double Rank, double Alpha, double Scaling) ReadSettings(string configPath)
    {
        var json = ReadConfig(configPath);
        try
        {
            var peftType = json["peft_type"]?.GetValue<string>();
            if (peftType != "LORA") throw new CheckpointFormatException(configPath, $"peft_type is '{peftType}'; only LORA adapters are supported");
            var rank = Number(json, "r", configPath);
            var alpha = Number(json, "lora_alpha", configPath);
            foreach (var key in ChangesWhatIsComputed)
            {
                if (json[key] is { } node && IsSet(node))
                    throw new CheckpointFormatException(configPath, $"'{key}' is set; Peerz applies plain LoRA (W + alpha/r · B·A) only");
            }
            if (json["bias"] is { } bias && bias.GetValue<string>() != "none")
                throw new CheckpointFormatException(configPath, $"bias '{bias}' is not supported; only bias \"none\"");
            return (rank, alpha, json["use_rslora"]?.GetValue<bool>() == true ? alpha / Math.Sqrt(rank) : alpha / rank);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A value of the wrong JSON type (a string where PEFT writes a bool, …).
            throw new CheckpointFormatException(configPath, $"unexpected value: {e.Message}", e);
        }
    }

    private static bool IsSet(JsonNode node) => node switch
    {
        JsonObject o => o.Count > 0,
        JsonArray a => a.Count > 0,
        JsonValue v when v.TryGetValue<bool>(out var flag) => flag,
        _ => true, // a number or a string: some setting we do not apply
    };

    private static JsonObject ReadConfig(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new CheckpointFormatException(path, "not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, $"invalid JSON: {e.Message}", e);
        }
    }

    private static double Number(JsonObject json, string key, string path)
    {
        try
        {
            var value = json[key]?.GetValue<double>() ?? throw new CheckpointFormatException(path, $"'{key}' is missing");
            return value > 0 && double.IsFinite(value) ? value : throw new CheckpointFormatException(path, $"'{key}' must be positive, got {value}");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new CheckpointFormatException(path, $"'{key}' must be a number", e);
        }
    }

    [GeneratedRegex(@"^base_model\.model\.[\w.]+?\.(\d{1,6})\.\w+\.((?:experts\.\d{1,4}\.)?\w+)\.lora_(A|B)\.weight$")]
    private static partial Regex TensorNamePattern();
}
