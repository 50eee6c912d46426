using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Tiny;

/// <summary>
/// Writes a real Hugging Face checkpoint (llama, mistral, qwen2, mixtral, bloom or falcon) (config.json, model.safetensors) with deterministic
/// random weights. Scales are chosen so the logits are far from uniform: embeddings and the
/// residual stream have unit scale, the LM head gives logits with a standard deviation near 4.
/// </summary>
public static class TinyModelGenerator
{
    public static ModelConfig Write(string directory, TinyModelOptions options, int? bosTokenId = null, int? eosTokenId = null)
    {
        options.Validate();
        if (!SafetensorsDTypes.TryParse(options.StorageDType, out var storage) || storage == SafetensorsDType.I8)
            throw new ArgumentException($"storage dtype must be F32, F16 or BF16, got '{options.StorageDType}'");
        Directory.CreateDirectory(directory);
        var bloom = options.ModelType == BloomConfig.ModelType;
        var falcon = options.ModelType == FalconConfig.ModelType;
        var config = new ModelConfig
        {
            ModelType = options.ModelType,
            HiddenSize = options.Hidden,
            IntermediateSize = bloom || falcon ? 4 * options.Hidden : options.IntermediateSize,
            NumLayers = options.Layers,
            NumHeads = options.Heads,
            NumKeyValueHeads = bloom ? options.Heads : options.KvHeads,
            HeadDim = options.Hidden / options.Heads,
            VocabSize = options.Vocab,
            RmsNormEps = 1e-5,
            RopeTheta = 10000,
            MaxPositionEmbeddings = options.MaxPositions,
            QkvBias = options.ModelType == "qwen2" || bloom || falcon && options.FalconLinearBiases,
            OutputBias = bloom || falcon && options.FalconLinearBiases,
            MlpBias = bloom || falcon && options.FalconLinearBiases,
            Alibi = bloom,
            // One key/value head writes Falcon-7B's multi-query layout, more the new decoder architecture (Falcon-40B/180B).
            Falcon = falcon ? new FalconLayout(NewDecoderArchitecture: options.KvHeads > 1, SeparateMlpNorm: options.KvHeads > 1) : null,
            TieWordEmbeddings = options.TieWordEmbeddings,
            BosTokenId = bosTokenId,
            EosTokenIds = eosTokenId is { } eos ? [eos] : [],
            TorchDtype = storage switch { SafetensorsDType.F16 => "float16", SafetensorsDType.BF16 => "bfloat16", _ => "float32" },
            NumExperts = options.ModelType == "mixtral" ? options.Experts : 0,
            ExpertsPerToken = options.ModelType == "mixtral" ? options.ExpertsPerToken : 0,
        };
        var random = new DeterministicRandom(options.Seed);
        var tensors = new List<(string, Tensor)>();
        try
        {
            if (bloom) AddBloomWeights(tensors, config, random, storage.ToScalarType());
            else if (falcon) AddFalconWeights(tensors, config, random, storage.ToScalarType());
            else AddWeights(tensors, config, random, storage.ToScalarType());
            SafetensorsWriter.Write(Path.Combine(directory, Checkpoint.SingleFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var (_, tensor) in tensors) tensor.Dispose();
        }
        File.WriteAllText(Path.Combine(directory, Checkpoint.ConfigFile), config.ToJson());
        return config;
    }

    /// <summary>Appends a tensor of normal(mean, std) values in the storage dtype.</summary>
    private delegate void AddTensor(string name, double std, double mean, params long[] shape);

    private static AddTensor Adder(List<(string, Tensor)> tensors, DeterministicRandom random, ScalarType storage) => (name, std, mean, shape) =>
    {
        using var values = tensor(random.Normal(shape.Aggregate(1L, (a, b) => a * b), std, mean)).view(shape);
        tensors.Add((name, values.to_type(storage)));
    };

    private static void AddWeights(List<(string, Tensor)> tensors, ModelConfig config, DeterministicRandom random, ScalarType storage)
    {
        long hidden = config.HiddenSize, inter = config.IntermediateSize, query = config.NumHeads * config.HeadDim, kv = config.NumKeyValueHeads * config.HeadDim;
        var residualScale = 1.0 / Math.Sqrt(2.0 * config.NumLayers);
        var add = Adder(tensors, random, storage);

        add("model.embed_tokens.weight", 1.0, 0, config.VocabSize, hidden);
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            var prefix = $"model.layers.{layer}.";
            add(prefix + "input_layernorm.weight", 0.1, 1, hidden);
            add(prefix + "self_attn.q_proj.weight", 1 / Math.Sqrt(hidden), 0, query, hidden);
            add(prefix + "self_attn.k_proj.weight", 1 / Math.Sqrt(hidden), 0, kv, hidden);
            add(prefix + "self_attn.v_proj.weight", 1 / Math.Sqrt(hidden), 0, kv, hidden);
            if (config.QkvBias)
            {
                add(prefix + "self_attn.q_proj.bias", 0.1, 0, query);
                add(prefix + "self_attn.k_proj.bias", 0.1, 0, kv);
                add(prefix + "self_attn.v_proj.bias", 0.1, 0, kv);
            }
            add(prefix + "self_attn.o_proj.weight", residualScale / Math.Sqrt(query), 0, hidden, query);
            add(prefix + "post_attention_layernorm.weight", 0.1, 1, hidden);
            if (config.IsMixtureOfExperts)
            {
                // Router logits of unit scale: routing is decided, not uniform, and near-ties are as rare as in a trained router.
                add(prefix + "block_sparse_moe.gate.weight", 1 / Math.Sqrt(hidden), 0, config.NumExperts, hidden);
                for (var expert = 0; expert < config.NumExperts; expert++)
                {
                    var e = $"{prefix}block_sparse_moe.experts.{expert}.";
                    add(e + "w1.weight", 1 / Math.Sqrt(hidden), 0, inter, hidden);
                    add(e + "w2.weight", residualScale / Math.Sqrt(inter), 0, hidden, inter);
                    add(e + "w3.weight", 1 / Math.Sqrt(hidden), 0, inter, hidden);
                }
                continue;
            }
            add(prefix + "mlp.gate_proj.weight", 1 / Math.Sqrt(hidden), 0, inter, hidden);
            add(prefix + "mlp.up_proj.weight", 1 / Math.Sqrt(hidden), 0, inter, hidden);
            add(prefix + "mlp.down_proj.weight", residualScale / Math.Sqrt(inter), 0, hidden, inter);
        }
        add("model.norm.weight", 0.1, 1, hidden);
        if (!config.TieWordEmbeddings)
            add("lm_head.weight", 4 / Math.Sqrt(hidden), 0, config.VocabSize, hidden);
    }

    /// <summary>
    /// BLOOM's layout under "transformer." (as save_pretrained writes BloomForCausalLM): every linear and LayerNorm with a
    /// bias, query_key_value fused per head, biases non-zero so a mix-up of the [heads, 3, head_dim] layout shows.
    /// </summary>
    private static void AddBloomWeights(List<(string, Tensor)> tensors, ModelConfig config, DeterministicRandom random, ScalarType storage)
    {
        long hidden = config.HiddenSize, inter = config.IntermediateSize;
        var residualScale = 1.0 / Math.Sqrt(2.0 * config.NumLayers);
        var add = Adder(tensors, random, storage);
        void Norm(string name)
        {
            add(name + ".weight", 0.1, 1, hidden);
            add(name + ".bias", 0.1, 0, hidden);
        }

        add("transformer.word_embeddings.weight", 1.0, 0, config.VocabSize, hidden);
        Norm("transformer.word_embeddings_layernorm");
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            var prefix = $"transformer.h.{layer}.";
            Norm(prefix + "input_layernorm");
            add(prefix + "self_attention.query_key_value.weight", 1 / Math.Sqrt(hidden), 0, 3 * hidden, hidden);
            add(prefix + "self_attention.query_key_value.bias", 0.1, 0, 3 * hidden);
            add(prefix + "self_attention.dense.weight", residualScale / Math.Sqrt(hidden), 0, hidden, hidden);
            add(prefix + "self_attention.dense.bias", 0.02, 0, hidden);
            Norm(prefix + "post_attention_layernorm");
            add(prefix + "mlp.dense_h_to_4h.weight", 1 / Math.Sqrt(hidden), 0, inter, hidden);
            add(prefix + "mlp.dense_h_to_4h.bias", 0.1, 0, inter);
            add(prefix + "mlp.dense_4h_to_h.weight", residualScale / Math.Sqrt(inter), 0, hidden, inter);
            add(prefix + "mlp.dense_4h_to_h.bias", 0.02, 0, hidden);
        }
        Norm("transformer.ln_f");
        if (!config.TieWordEmbeddings)
            add("lm_head.weight", 4 / Math.Sqrt(hidden), 0, config.VocabSize, hidden);
    }

    /// <summary>
    /// Falcon's layout under "transformer.": the fused query_key_value holds [groups, heads/groups + 2, head_dim] rows
    /// (one group: Falcon-7B's multi-query layout), LayerNorms have biases, linears none as in the released models (or
    /// every linear one, for config <c>bias: true</c>).
    /// </summary>
    private static void AddFalconWeights(List<(string, Tensor)> tensors, ModelConfig config, DeterministicRandom random, ScalarType storage)
    {
        long hidden = config.HiddenSize, inter = config.IntermediateSize, fused = (config.NumHeads + 2L * config.NumKeyValueHeads) * config.HeadDim;
        var residualScale = 1.0 / Math.Sqrt(2.0 * config.NumLayers);
        var add = Adder(tensors, random, storage);
        void Norm(string name)
        {
            add(name + ".weight", 0.1, 1, hidden);
            add(name + ".bias", 0.1, 0, hidden);
        }

        add("transformer.word_embeddings.weight", 1.0, 0, config.VocabSize, hidden);
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            var prefix = $"transformer.h.{layer}.";
            if (config.Falcon!.SeparateMlpNorm)
            {
                Norm(prefix + "ln_attn");
                Norm(prefix + "ln_mlp");
            }
            else
            {
                Norm(prefix + "input_layernorm");
            }
            add(prefix + "self_attention.query_key_value.weight", 1 / Math.Sqrt(hidden), 0, fused, hidden);
            add(prefix + "self_attention.dense.weight", residualScale / Math.Sqrt(hidden), 0, hidden, hidden);
            add(prefix + "mlp.dense_h_to_4h.weight", 1 / Math.Sqrt(hidden), 0, inter, hidden);
            add(prefix + "mlp.dense_4h_to_h.weight", residualScale / Math.Sqrt(inter), 0, hidden, inter);
            if (!config.QkvBias) continue;
            // Non-zero, so a bias read into the wrong rows of the fused layout shows.
            add(prefix + "self_attention.query_key_value.bias", 0.1, 0, fused);
            add(prefix + "self_attention.dense.bias", 0.02, 0, hidden);
            add(prefix + "mlp.dense_h_to_4h.bias", 0.1, 0, inter);
            add(prefix + "mlp.dense_4h_to_h.bias", 0.02, 0, hidden);
        }
        Norm("transformer.ln_f");
        if (!config.TieWordEmbeddings)
            add("lm_head.weight", 4 / Math.Sqrt(hidden), 0, config.VocabSize, hidden);
    }
}
