using System.Text.Json.Nodes;

namespace Peerz.Model.Configuration;

/// <summary>
/// Falcon's config.json (Hugging Face FalconConfig): hidden_size (n_embed), num_hidden_layers (n_layer),
/// num_attention_heads (n_head), layer_norm_epsilon, rope_theta, bias, ffn_hidden_size (default 4 · hidden) and the
/// layout flags. Two layouts are served: Falcon-7B's (multi_query: one key/value head; parallel_attn with one
/// input_layernorm) and the new decoder architecture of Falcon-40B/180B (num_kv_heads groups; ln_attn and ln_mlp).
/// Falcon-RW's ALiBi and sequential (parallel_attn = false) layouts are refused.
/// </summary>
internal static class FalconConfig
{
    public const string ModelType = "falcon";

    /// <summary>The Falcon fields; rope_scaling is read by the caller, as for the Llama family (HF Falcon uses the same rotary scalings).</summary>
    public static ModelConfig Read(ConfigReader reader, string source)
    {
        var hidden = reader.OptionalPositiveInt("n_embed") ?? reader.PositiveInt("hidden_size");
        var layers = reader.OptionalPositiveInt("n_layer") ?? reader.PositiveInt("num_hidden_layers");
        var heads = reader.OptionalPositiveInt("n_head") ?? reader.PositiveInt("num_attention_heads");
        if (hidden % heads != 0 || hidden / heads % 2 != 0)
            throw new CheckpointFormatException(source, $"hidden_size ({hidden}) must split into {heads} heads of an even size (rotary embeddings rotate pairs)");
        if (reader.OptionalBool("alibi") == true)
            throw new CheckpointFormatException(source, "alibi = true (Falcon-RW) is not supported; Falcon with rotary embeddings is");
        var newArchitecture = reader.OptionalBool("new_decoder_architecture") ?? false;
        if (!newArchitecture && !(reader.OptionalBool("parallel_attn") ?? true))
            throw new CheckpointFormatException(source, "parallel_attn = false (sequential attention and MLP, Falcon-RW) is not supported");
        var activation = reader.OptionalString("activation") ?? "gelu";
        if (activation != "gelu")
            throw new CheckpointFormatException(source, $"activation '{activation}' is not supported (Falcon's released checkpoints use gelu)");
        // The fused query_key_value holds, per key/value group, the group's query heads then one key and one value head.
        var kvHeads = newArchitecture ? reader.OptionalPositiveInt("num_kv_heads") ?? heads : (reader.OptionalBool("multi_query") ?? true) ? 1 : heads;
        if (heads % kvHeads != 0)
            throw new CheckpointFormatException(source, $"num_attention_heads ({heads}) is not a multiple of num_kv_heads ({kvHeads})");
        // num_ln_in_parallel_attn defaults to 2 (ln_attn and ln_mlp) in the new architecture, 1 (input_layernorm) otherwise.
        var norms = reader.OptionalPositiveInt("num_ln_in_parallel_attn") ?? (newArchitecture ? 2 : 1);
        if (norms is not (1 or 2))
            throw new CheckpointFormatException(source, $"num_ln_in_parallel_attn = {norms}; 1 or 2 expected");
        var bias = reader.OptionalBool("bias") ?? false;
        return new ModelConfig
        {
            ModelType = ModelType,
            HiddenSize = hidden,
            IntermediateSize = reader.OptionalPositiveInt("ffn_hidden_size") ?? 4 * hidden,
            NumLayers = layers,
            NumHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = hidden / heads,
            VocabSize = reader.PositiveInt("vocab_size"),
            LayerNormEps = reader.OptionalDouble("layer_norm_epsilon") ?? 1e-5,
            RopeTheta = reader.OptionalDouble("rope_theta") ?? 10000,
            MaxPositionEmbeddings = reader.OptionalPositiveInt("max_position_embeddings") ?? 2048,
            QkvBias = bias,
            OutputBias = bias,
            MlpBias = bias,
            Falcon = new FalconLayout(newArchitecture, SeparateMlpNorm: norms == 2),
            TieWordEmbeddings = reader.OptionalBool("tie_word_embeddings") ?? true,
            BosTokenId = reader.OptionalInt("bos_token_id"),
            EosTokenIds = reader.IntOrIntList("eos_token_id"),
            TorchDtype = reader.OptionalString("torch_dtype") ?? "float32",
        };
    }

    public static JsonObject ToJson(ModelConfig config)
    {
        var layout = config.Falcon ?? throw new InvalidOperationException("not a Falcon config");
        return new JsonObject
        {
            ["architectures"] = new JsonArray("FalconForCausalLM"),
            ["model_type"] = ModelType,
            ["hidden_size"] = config.HiddenSize,
            ["num_hidden_layers"] = config.NumLayers,
            ["num_attention_heads"] = config.NumHeads,
            ["num_kv_heads"] = config.NumKeyValueHeads,
            ["new_decoder_architecture"] = layout.NewDecoderArchitecture,
            ["multi_query"] = !layout.NewDecoderArchitecture && config.NumKeyValueHeads == 1,
            ["parallel_attn"] = true,
            ["num_ln_in_parallel_attn"] = layout.SeparateMlpNorm ? 2 : 1,
            ["alibi"] = false,
            ["bias"] = config.QkvBias,
            ["ffn_hidden_size"] = config.IntermediateSize,
            ["activation"] = "gelu",
            ["vocab_size"] = config.VocabSize,
            ["layer_norm_epsilon"] = config.LayerNormEps,
            ["rope_theta"] = config.RopeTheta,
            ["max_position_embeddings"] = config.MaxPositionEmbeddings,
            ["hidden_dropout"] = 0.0,
            ["attention_dropout"] = 0.0,
            ["tie_word_embeddings"] = config.TieWordEmbeddings,
            ["torch_dtype"] = config.TorchDtype,
        };
    }
}
