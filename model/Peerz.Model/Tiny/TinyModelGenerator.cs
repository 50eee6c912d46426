using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Tiny;

/// <summary>
/// Writes a real Hugging Face Llama-family checkpoint (llama, mistral, qwen2 or mixtral) (config.json, model.safetensors) with deterministic
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
        var config = new ModelConfig
        {
            ModelType = options.ModelType,
            HiddenSize = options.Hidden,
            IntermediateSize = options.IntermediateSize,
            NumLayers = options.Layers,
            NumHeads = options.Heads,
            NumKeyValueHeads = options.KvHeads,
            HeadDim = options.Hidden / options.Heads,
            VocabSize = options.Vocab,
            RmsNormEps = 1e-5,
            RopeTheta = 10000,
            MaxPositionEmbeddings = options.MaxPositions,
            QkvBias = options.ModelType == "qwen2",
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
            AddWeights(tensors, config, random, storage.ToScalarType());
            SafetensorsWriter.Write(Path.Combine(directory, Checkpoint.SingleFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var (_, tensor) in tensors) tensor.Dispose();
        }
        File.WriteAllText(Path.Combine(directory, Checkpoint.ConfigFile), config.ToJson());
        return config;
    }

    private static void AddWeights(List<(string, Tensor)> tensors, ModelConfig config, DeterministicRandom random, ScalarType storage)
    {
        long hidden = config.HiddenSize, inter = config.IntermediateSize, query = config.NumHeads * config.HeadDim, kv = config.NumKeyValueHeads * config.HeadDim;
        var residualScale = 1.0 / Math.Sqrt(2.0 * config.NumLayers);
        void Add(string name, double std, double mean, params long[] shape)
        {
            using var values = tensor(random.Normal(shape.Aggregate(1L, (a, b) => a * b), std, mean)).view(shape);
            tensors.Add((name, values.to_type(storage)));
        }

        Add("model.embed_tokens.weight", 1.0, 0, config.VocabSize, hidden);
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            var prefix = $"model.layers.{layer}.";
            Add(prefix + "input_layernorm.weight", 0.1, 1, hidden);
            Add(prefix + "self_attn.q_proj.weight", 1 / Math.Sqrt(hidden), 0, query, hidden);
            Add(prefix + "self_attn.k_proj.weight", 1 / Math.Sqrt(hidden), 0, kv, hidden);
            Add(prefix + "self_attn.v_proj.weight", 1 / Math.Sqrt(hidden), 0, kv, hidden);
            if (config.QkvBias)
            {
                Add(prefix + "self_attn.q_proj.bias", 0.1, 0, query);
                Add(prefix + "self_attn.k_proj.bias", 0.1, 0, kv);
                Add(prefix + "self_attn.v_proj.bias", 0.1, 0, kv);
            }
            Add(prefix + "self_attn.o_proj.weight", residualScale / Math.Sqrt(query), 0, hidden, query);
            Add(prefix + "post_attention_layernorm.weight", 0.1, 1, hidden);
            if (config.IsMixtureOfExperts)
            {
                // Router logits of unit scale: routing is decided, not uniform, and near-ties are as rare as in a trained router.
                Add(prefix + "block_sparse_moe.gate.weight", 1 / Math.Sqrt(hidden), 0, config.NumExperts, hidden);
                for (var expert = 0; expert < config.NumExperts; expert++)
                {
                    var e = $"{prefix}block_sparse_moe.experts.{expert}.";
                    Add(e + "w1.weight", 1 / Math.Sqrt(hidden), 0, inter, hidden);
                    Add(e + "w2.weight", residualScale / Math.Sqrt(inter), 0, hidden, inter);
                    Add(e + "w3.weight", 1 / Math.Sqrt(hidden), 0, inter, hidden);
                }
                continue;
            }
            Add(prefix + "mlp.gate_proj.weight", 1 / Math.Sqrt(hidden), 0, inter, hidden);
            Add(prefix + "mlp.up_proj.weight", 1 / Math.Sqrt(hidden), 0, inter, hidden);
            Add(prefix + "mlp.down_proj.weight", residualScale / Math.Sqrt(inter), 0, hidden, inter);
        }
        Add("model.norm.weight", 0.1, 1, hidden);
        if (!config.TieWordEmbeddings)
            Add("lm_head.weight", 4 / Math.Sqrt(hidden), 0, config.VocabSize, hidden);
    }
}
