using System.Text.Json;
using System.Text.Json.Nodes;

namespace Peerz.Model.Configuration;

/// <summary>
/// The architecture of a Llama-family checkpoint, read from Hugging Face's config.json.
/// Covers <c>llama</c> (Llama 2/3, incl. llama3 rope scaling), <c>mistral</c>, <c>qwen2</c>, <c>mixtral</c>
/// (Mistral attention with a sparse mixture-of-experts MLP), <c>bloom</c> (<see cref="BloomConfig"/>) and <c>falcon</c>
/// (<see cref="FalconConfig"/>).
/// </summary>
public sealed record ModelConfig
{
    public static readonly IReadOnlySet<string> SupportedModelTypes = new HashSet<string> { "llama", "mistral", "qwen2", "mixtral", BloomConfig.ModelType, FalconConfig.ModelType };

    public required string ModelType { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int VocabSize { get; init; }
    public int HeadDim { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary>Bias on the q, k, v projections (Qwen2 always; Llama when attention_bias is set).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on the output projection (Llama's attention_bias covers o_proj too; Qwen2's does not).</summary>
    public bool OutputBias { get; init; }
    public bool MlpBias { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public string TorchDtype { get; init; } = "float32";
    /// <summary>Experts per MLP (Mixtral's num_local_experts); 0 for a dense SwiGLU MLP.</summary>
    public int NumExperts { get; init; }
    /// <summary>Experts each token is routed to (Mixtral's num_experts_per_tok, top-k routing).</summary>
    public int ExpertsPerToken { get; init; }

    /// <summary>LayerNorm epsilon (BLOOM's layer_norm_epsilon); the Llama family uses <see cref="RmsNormEps"/>.</summary>
    public double LayerNormEps { get; init; } = 1e-5;
    /// <summary>Positions enter attention as ALiBi biases (BLOOM) instead of rotary embeddings.</summary>
    public bool Alibi { get; init; }
    /// <summary>Falcon's layer layout (multi-query or grouped key/value heads, one or two LayerNorms); null for other architectures.</summary>
    public FalconLayout? Falcon { get; init; }

    public bool IsMixtureOfExperts => NumExperts > 0;

    public int KeyValueGroups => NumHeads / NumKeyValueHeads;

    public static ModelConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new CheckpointFormatException(path, $"cannot read config: {e.Message}", e);
        }
        return Parse(text, path);
    }

    public static ModelConfig Parse(string json, string source = "config.json")
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new CheckpointFormatException(source, "config is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(source, $"config is not valid JSON: {e.Message}", e);
        }
        var reader = new ConfigReader(root, source);
        var modelType = reader.String("model_type");
        if (!SupportedModelTypes.Contains(modelType))
            throw new CheckpointFormatException(source, $"model_type '{modelType}' is not supported (supported: {string.Join(", ", SupportedModelTypes)})");
        if (modelType == BloomConfig.ModelType)
            return BloomConfig.Read(reader, source);
        if (modelType == FalconConfig.ModelType)
            return FalconConfig.Read(reader, source) with { RopeScaling = RopeScaling.Parse(root["rope_scaling"], source) };

        var hidden = reader.PositiveInt("hidden_size");
        var heads = reader.PositiveInt("num_attention_heads");
        var kvHeads = reader.OptionalPositiveInt("num_key_value_heads") ?? heads;
        if (heads % kvHeads != 0)
            throw new CheckpointFormatException(source, $"num_attention_heads ({heads}) must be a multiple of num_key_value_heads ({kvHeads})");
        var headDim = reader.OptionalPositiveInt("head_dim") ?? hidden / heads;
        if (headDim % 2 != 0)
            throw new CheckpointFormatException(source, $"head_dim ({headDim}) must be even for rotary embeddings");
        if (reader.OptionalPositiveInt("head_dim") is null && hidden % heads != 0)
            throw new CheckpointFormatException(source, $"hidden_size ({hidden}) is not divisible by num_attention_heads ({heads})");
        var sliding = reader.OptionalPositiveInt("sliding_window");
        var useSliding = reader.OptionalBool("use_sliding_window") ?? modelType is "mistral" or "mixtral";
        var maxPositions = reader.OptionalPositiveInt("max_position_embeddings") ?? 2048;
        if (useSliding && sliding is { } window && window < maxPositions)
            throw new CheckpointFormatException(source, $"sliding_window {window} shorter than max_position_embeddings is not supported");

        var attentionBias = reader.OptionalBool("attention_bias") ?? false;
        var (experts, expertsPerToken) = modelType == "mixtral" ? ReadExperts(reader, source) : (0, 0);
        return new ModelConfig
        {
            ModelType = modelType,
            HiddenSize = hidden,
            IntermediateSize = reader.PositiveInt("intermediate_size"),
            NumLayers = reader.PositiveInt("num_hidden_layers"),
            NumHeads = heads,
            NumKeyValueHeads = kvHeads,
            VocabSize = reader.PositiveInt("vocab_size"),
            HeadDim = headDim,
            RmsNormEps = reader.OptionalDouble("rms_norm_eps") ?? 1e-6,
            RopeTheta = reader.OptionalDouble("rope_theta") ?? 10000,
            RopeScaling = RopeScaling.Parse(root["rope_scaling"], source),
            MaxPositionEmbeddings = maxPositions,
            QkvBias = modelType == "qwen2" || attentionBias,
            OutputBias = modelType != "qwen2" && attentionBias,
            MlpBias = reader.OptionalBool("mlp_bias") ?? false,
            TieWordEmbeddings = reader.OptionalBool("tie_word_embeddings") ?? false,
            BosTokenId = reader.OptionalInt("bos_token_id"),
            EosTokenIds = reader.IntOrIntList("eos_token_id"),
            TorchDtype = reader.OptionalString("torch_dtype") ?? "float32",
            NumExperts = experts,
            ExpertsPerToken = expertsPerToken,
        };
    }

    /// <summary>Mixtral's routing: num_local_experts experts, each token sent to the top num_experts_per_tok (HF defaults 8 and 2).</summary>
    private static (int Experts, int PerToken) ReadExperts(ConfigReader reader, string source)
    {
        var experts = reader.OptionalPositiveInt("num_local_experts") ?? 8;
        var perToken = reader.OptionalPositiveInt("num_experts_per_tok") ?? 2;
        if (perToken > experts)
            throw new CheckpointFormatException(source, $"num_experts_per_tok ({perToken}) exceeds num_local_experts ({experts})");
        return (experts, perToken);
    }

    public string ToJson()
    {
        var root = ModelType switch
        {
            BloomConfig.ModelType => BloomConfig.ToJson(this),
            FalconConfig.ModelType => FalconConfig.ToJson(this),
            _ => LlamaFamilyJson(),
        };
        if (BosTokenId is { } bos) root["bos_token_id"] = bos;
        if (EosTokenIds.Count > 0) root["eos_token_id"] = EosTokenIds.Count == 1 ? EosTokenIds[0] : new JsonArray(EosTokenIds.Select(id => (JsonNode)id).ToArray());
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private JsonObject LlamaFamilyJson()
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(ModelType switch { "qwen2" => "Qwen2ForCausalLM", "mistral" => "MistralForCausalLM", "mixtral" => "MixtralForCausalLM", _ => "LlamaForCausalLM" }),
            ["model_type"] = ModelType,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumLayers,
            ["num_attention_heads"] = NumHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["vocab_size"] = VocabSize,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["attention_bias"] = QkvBias,
            ["mlp_bias"] = MlpBias,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["torch_dtype"] = TorchDtype,
            ["hidden_act"] = "silu",
        };
        if (RopeScaling is not null) root["rope_scaling"] = RopeScaling.ToJson();
        if (IsMixtureOfExperts)
        {
            root["num_local_experts"] = NumExperts;
            root["num_experts_per_tok"] = ExpertsPerToken;
            root["router_aux_loss_coef"] = 0.02;
            root["output_router_logits"] = false;
        }
        return root;
    }
}
