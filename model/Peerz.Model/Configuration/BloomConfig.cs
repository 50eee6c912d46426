using System.Text.Json.Nodes;

namespace Peerz.Model.Configuration;

/// <summary>
/// BLOOM's config.json (Hugging Face BloomConfig): n_layer, n_head, hidden_size (n_embed in old files),
/// layer_norm_epsilon and vocab_size; the MLP is always 4·hidden wide, every linear has a bias, there is one key/value
/// head per query head, and positions enter as ALiBi biases, not rotary embeddings.
/// </summary>
internal static class BloomConfig
{
    public const string ModelType = "bloom";

    public static ModelConfig Read(ConfigReader reader, string source)
    {
        // BloomConfig's attribute_map lets the generic names stand in for n_layer and n_head.
        var layers = reader.OptionalPositiveInt("n_layer") ?? reader.PositiveInt("num_hidden_layers");
        var heads = reader.OptionalPositiveInt("n_head") ?? reader.PositiveInt("num_attention_heads");
        var hidden = reader.OptionalPositiveInt("n_embed") ?? reader.PositiveInt("hidden_size");
        if (hidden % heads != 0)
            throw new CheckpointFormatException(source, $"hidden_size ({hidden}) is not divisible by n_head ({heads})");
        if (reader.OptionalBool("apply_residual_connection_post_layernorm") == true)
            throw new CheckpointFormatException(source, "apply_residual_connection_post_layernorm = true (the residual taken after the layer norm) is not supported; BLOOM's released checkpoints use false");
        // slow_but_exact and pretraining_tp only change how HF slices the dense matmuls (the same sums in another order).
        return new ModelConfig
        {
            ModelType = ModelType,
            HiddenSize = hidden,
            IntermediateSize = 4 * hidden,
            NumLayers = layers,
            NumHeads = heads,
            NumKeyValueHeads = heads,
            HeadDim = hidden / heads,
            VocabSize = reader.PositiveInt("vocab_size"),
            LayerNormEps = reader.OptionalDouble("layer_norm_epsilon") ?? 1e-5,
            Alibi = true,
            // ALiBi has no position table; BLOOM was trained on sequences of 2048 (seq_length in its Megatron configs).
            MaxPositionEmbeddings = reader.OptionalPositiveInt("seq_length") ?? 2048,
            QkvBias = true,
            OutputBias = true,
            MlpBias = true,
            TieWordEmbeddings = reader.OptionalBool("tie_word_embeddings") ?? true,
            BosTokenId = reader.OptionalInt("bos_token_id"),
            EosTokenIds = reader.IntOrIntList("eos_token_id"),
            TorchDtype = reader.OptionalString("torch_dtype") ?? "float32",
        };
    }

    public static JsonObject ToJson(ModelConfig config) => new()
    {
        ["architectures"] = new JsonArray("BloomForCausalLM"),
        ["model_type"] = ModelType,
        ["hidden_size"] = config.HiddenSize,
        ["n_layer"] = config.NumLayers,
        ["n_head"] = config.NumHeads,
        ["vocab_size"] = config.VocabSize,
        ["layer_norm_epsilon"] = config.LayerNormEps,
        ["seq_length"] = config.MaxPositionEmbeddings,
        ["apply_residual_connection_post_layernorm"] = false,
        ["slow_but_exact"] = false,
        ["pretraining_tp"] = 1,
        ["hidden_dropout"] = 0.0,
        ["attention_dropout"] = 0.0,
        ["tie_word_embeddings"] = config.TieWordEmbeddings,
        ["torch_dtype"] = config.TorchDtype,
    };
}
