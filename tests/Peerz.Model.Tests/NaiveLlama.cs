using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;

namespace Peerz.Model.Tests;

/// <summary>
/// An independent Llama forward pass in plain C# doubles, written from the HF modeling_llama
/// equations without TorchSharp: loops for matmuls, explicit rotate-half rope, head h reading
/// kv head h / groups, softmax over j ≤ i; for Mixtral, HF's MixtralSparseMoeBlock per token (softmax over the router's
/// logits, the top num_experts_per_tok experts by probability, weights renormalised to sum 1, Σ w·w2(silu(w1 x)·w3 x)).
/// It shares only the safetensors reader and the config parser with Peerz.
/// </summary>
public sealed class NaiveLlama
{
    private readonly ModelConfig _config;
    private readonly Dictionary<string, double[]> _weights = new();

    public NaiveLlama(string directory)
    {
        _config = ModelConfig.Load(Path.Combine(directory, Checkpoint.ConfigFile));
        using var file = SafetensorsFile.Open(Path.Combine(directory, Checkpoint.SingleFile));
        foreach (var name in file.Tensors.Keys)
        {
            using var tensor = file.Load(name);
            using var asFloat = tensor.to_type(TorchSharp.torch.ScalarType.Float64);
            _weights[name] = asFloat.data<double>().ToArray();
        }
    }

    /// <summary>Mixtral: the router's probabilities of each (layer, position) of the last <see cref="Logits"/>.</summary>
    public Dictionary<(int Layer, int Position), double[]> RouterProbabilities { get; } = [];

    /// <param name="route">Mixtral: the experts (layer, position) is routed to instead of the router's top-k (null: the router's own).</param>
    public double[][] Logits(int[] tokens, Func<int, int, int[]>? route = null)
    {
        RouterProbabilities.Clear();
        int h = _config.HiddenSize, t = tokens.Length;
        var x = tokens.Select(id => _weights["model.embed_tokens.weight"].AsSpan(id * h, h).ToArray()).ToArray();
        for (var layer = 0; layer < _config.NumLayers; layer++)
        {
            var p = $"model.layers.{layer}.";
            var normed = x.Select(row => Norm(row, _weights[p + "input_layernorm.weight"])).ToArray();
            var attention = Attention(normed, p + "self_attn.");
            x = x.Select((row, i) => Add(row, attention[i])).ToArray();
            normed = x.Select(row => Norm(row, _weights[p + "post_attention_layernorm.weight"])).ToArray();
            x = x.Select((row, i) => Add(row, _config.ModelType == "mixtral" ? SparseMoe(normed[i], p + "block_sparse_moe.", layer, i, route) : Mlp(normed[i], p + "mlp."))).ToArray();
        }
        var head = _config.TieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight";
        return x.Select(row => MatVec(_weights[head], Norm(row, _weights["model.norm.weight"]), _config.VocabSize)).ToArray();
    }

    private double[][] Attention(double[][] x, string p)
    {
        int t = x.Length, heads = _config.NumHeads, kvHeads = _config.NumKeyValueHeads, d = _config.HeadDim, groups = heads / kvHeads;
        var q = x.Select(row => Bias(MatVec(_weights[p + "q_proj.weight"], row, heads * d), p + "q_proj.bias")).ToArray();
        var k = x.Select(row => Bias(MatVec(_weights[p + "k_proj.weight"], row, kvHeads * d), p + "k_proj.bias")).ToArray();
        var v = x.Select(row => Bias(MatVec(_weights[p + "v_proj.weight"], row, kvHeads * d), p + "v_proj.bias")).ToArray();
        for (var pos = 0; pos < t; pos++)
        {
            for (var head = 0; head < heads; head++) Rope(q[pos], head * d, pos);
            for (var head = 0; head < kvHeads; head++) Rope(k[pos], head * d, pos);
        }
        var merged = new double[t][];
        for (var i = 0; i < t; i++)
        {
            merged[i] = new double[heads * d];
            for (var head = 0; head < heads; head++)
            {
                var kvHead = head / groups;
                var scores = new double[i + 1];
                for (var j = 0; j <= i; j++)
                {
                    double dot = 0;
                    for (var c = 0; c < d; c++) dot += q[i][head * d + c] * k[j][kvHead * d + c];
                    scores[j] = dot / Math.Sqrt(d);
                }
                var max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                var total = weights.Sum();
                for (var j = 0; j <= i; j++)
                    for (var c = 0; c < d; c++)
                        merged[i][head * d + c] += weights[j] / total * v[j][kvHead * d + c];
            }
        }
        return merged.Select(row => Bias(MatVec(_weights[p + "o_proj.weight"], row, _config.HiddenSize), p + "o_proj.bias")).ToArray();
    }

    private void Rope(double[] vector, int offset, int position)
    {
        var half = _config.HeadDim / 2;
        var frequencies = Blocks.RotaryEmbedding.ComputeInverseFrequencies(_config);
        for (var i = 0; i < half; i++)
        {
            var angle = position * frequencies[i];
            double a = vector[offset + i], b = vector[offset + i + half];
            vector[offset + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
            vector[offset + i + half] = b * Math.Cos(angle) + a * Math.Sin(angle);
        }
    }

    private double[] Mlp(double[] x, string p) => SwiGlu(x, p + "gate_proj.weight", p + "up_proj.weight", p + "down_proj.weight");

    private double[] SparseMoe(double[] x, string p, int layer, int position, Func<int, int, int[]>? route)
    {
        var logits = MatVec(_weights[p + "gate.weight"], x, _config.NumExperts);
        var max = logits.Max();
        var exponentials = logits.Select(l => Math.Exp(l - max)).ToArray();
        var sum = exponentials.Sum();
        var probabilities = exponentials.Select(v => v / sum).ToArray();
        RouterProbabilities[(layer, position)] = probabilities;
        var top = route?.Invoke(layer, position) ?? Enumerable.Range(0, _config.NumExperts).OrderByDescending(e => probabilities[e]).Take(_config.ExpertsPerToken).ToArray();
        var kept = top.Sum(e => probabilities[e]);
        var result = new double[x.Length];
        foreach (var expert in top)
        {
            var e = $"{p}experts.{expert}.";
            var output = SwiGlu(x, e + "w1.weight", e + "w3.weight", e + "w2.weight");
            for (var i = 0; i < result.Length; i++) result[i] += probabilities[expert] / kept * output[i];
        }
        return result;
    }

    private double[] SwiGlu(double[] x, string gateName, string upName, string downName)
    {
        var inter = _config.IntermediateSize;
        var gate = MatVec(_weights[gateName], x, inter);
        var up = MatVec(_weights[upName], x, inter);
        var hidden = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
        return MatVec(_weights[downName], hidden, _config.HiddenSize);
    }

    private double[] Norm(double[] x, double[] weight)
    {
        var rms = Math.Sqrt(x.Select(v => v * v).Average() + _config.RmsNormEps);
        return x.Select((v, i) => v / rms * weight[i]).ToArray();
    }

    private double[] Bias(double[] x, string name) =>
        _weights.TryGetValue(name, out var bias) ? Add(x, bias) : x;

    private static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();

    private static double[] MatVec(double[] matrix, double[] vector, int rows)
    {
        var result = new double[rows];
        var cols = vector.Length;
        for (var r = 0; r < rows; r++)
        {
            double sum = 0;
            for (var c = 0; c < cols; c++) sum += matrix[r * cols + c] * vector[c];
            result[r] = sum;
        }
        return result;
    }
}
