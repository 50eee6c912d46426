using System.Text.Json;
using Peerz.Model.Checkpoints;

namespace Peerz.Model.Tests;

/// <summary>
/// An independent BLOOM forward pass in plain C# doubles, written from HF modeling_bloom without TorchSharp: it reads
/// config.json's own keys (n_layer, n_head, hidden_size, layer_norm_epsilon, vocab_size), embeds and applies
/// word_embeddings_layernorm, and per block: LayerNorm, query_key_value viewed as [heads, 3, head_dim], scores
/// q·k/√d + slope_h · j (build_alibi_tensor's absolute key position and its slopes, non-power-of-two head counts
/// included), softmax over j ≤ i, dense; residual; LayerNorm, dense_4h_to_h(bloom_gelu(dense_h_to_4h(x))); residual;
/// then ln_f and the LM head tied to word_embeddings. It shares only the safetensors reader with Peerz.
/// </summary>
public sealed class NaiveBloom
{
    private readonly int _layers, _heads, _hidden, _vocab;
    private readonly double _eps;
    private readonly bool _tied;
    private readonly Dictionary<string, double[]> _weights = new();

    public NaiveBloom(string directory)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, Checkpoint.ConfigFile)));
        var root = config.RootElement;
        _layers = root.GetProperty("n_layer").GetInt32();
        _heads = root.GetProperty("n_head").GetInt32();
        _hidden = root.GetProperty("hidden_size").GetInt32();
        _vocab = root.GetProperty("vocab_size").GetInt32();
        _eps = root.GetProperty("layer_norm_epsilon").GetDouble();
        _tied = !root.TryGetProperty("tie_word_embeddings", out var tied) || tied.GetBoolean();
        using var file = SafetensorsFile.Open(Path.Combine(directory, Checkpoint.SingleFile));
        foreach (var name in file.Tensors.Keys)
        {
            using var tensor = file.Load(name);
            using var asFloat = tensor.to_type(TorchSharp.torch.ScalarType.Float64);
            _weights[name] = asFloat.data<double>().ToArray();
        }
    }

    /// <summary>HF build_alibi_tensor's slopes, following its steps (closest power of two, base, extra base, odd powers).</summary>
    public static double[] Slopes(int heads)
    {
        var closest = (int)Math.Pow(2, Math.Floor(Math.Log2(heads)));
        var baseValue = Math.Pow(2, -Math.Pow(2, -(Math.Log2(closest) - 3)));
        var slopes = Enumerable.Range(1, closest).Select(p => Math.Pow(baseValue, p)).ToList();
        if (closest != heads)
        {
            var extraBase = Math.Pow(2, -Math.Pow(2, -(Math.Log2(2 * closest) - 3)));
            var remaining = Math.Min(closest, heads - closest);
            for (var p = 1; p < 1 + 2 * remaining; p += 2) slopes.Add(Math.Pow(extraBase, p));
        }
        return slopes.ToArray();
    }

    public double[][] Logits(int[] tokens)
    {
        var h = _hidden;
        var x = tokens.Select(id => LayerNorm(_weights["transformer.word_embeddings.weight"].AsSpan(id * h, h).ToArray(), "transformer.word_embeddings_layernorm")).ToArray();
        for (var layer = 0; layer < _layers; layer++)
        {
            var p = $"transformer.h.{layer}.";
            var normed = x.Select(row => LayerNorm(row, p + "input_layernorm")).ToArray();
            var attention = Attention(normed, p + "self_attention.");
            x = x.Select((row, i) => Add(row, attention[i])).ToArray();
            normed = x.Select(row => LayerNorm(row, p + "post_attention_layernorm")).ToArray();
            x = x.Select((row, i) => Add(row, Mlp(normed[i], p + "mlp."))).ToArray();
        }
        var head = _tied ? "transformer.word_embeddings.weight" : "lm_head.weight";
        return x.Select(row => MatVec(_weights[head], LayerNorm(row, "transformer.ln_f"), _vocab)).ToArray();
    }

    private double[][] Attention(double[][] x, string p)
    {
        int t = x.Length, d = _hidden / _heads;
        var fused = x.Select(row => Linear(row, p + "query_key_value", 3 * _hidden)).ToArray();
        // _split_heads: view(batch, length, heads, 3, head_dim); query = [..., 0, :], key = [..., 1, :], value = [..., 2, :].
        double Part(int position, int head, int which, int c) => fused[position][(head * 3 + which) * d + c];
        var slopes = Slopes(_heads);
        var merged = new double[t][];
        for (var i = 0; i < t; i++)
        {
            merged[i] = new double[_hidden];
            for (var head = 0; head < _heads; head++)
            {
                var scores = new double[i + 1];
                for (var j = 0; j <= i; j++)
                {
                    double dot = 0;
                    for (var c = 0; c < d; c++) dot += Part(i, head, 0, c) * Part(j, head, 1, c);
                    scores[j] = dot / Math.Sqrt(d) + slopes[head] * j;
                }
                var max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                var total = weights.Sum();
                for (var j = 0; j <= i; j++)
                    for (var c = 0; c < d; c++)
                        merged[i][head * d + c] += weights[j] / total * Part(j, head, 2, c);
            }
        }
        return merged.Select(row => Linear(row, p + "dense", _hidden)).ToArray();
    }

    private double[] Mlp(double[] x, string p)
    {
        // bloom_gelu_forward: x · 0.5 · (1 + tanh(0.79788456 · x · (1 + 0.044715 · x²))).
        var up = Linear(x, p + "dense_h_to_4h", 4 * _hidden).Select(v => v * 0.5 * (1 + Math.Tanh(0.79788456 * v * (1 + 0.044715 * v * v)))).ToArray();
        return Linear(up, p + "dense_4h_to_h", _hidden);
    }

    private double[] LayerNorm(double[] x, string name)
    {
        var mean = x.Average();
        var variance = x.Select(v => (v - mean) * (v - mean)).Average();
        var weight = _weights[name + ".weight"];
        var bias = _weights[name + ".bias"];
        return x.Select((v, i) => (v - mean) / Math.Sqrt(variance + _eps) * weight[i] + bias[i]).ToArray();
    }

    private double[] Linear(double[] x, string name, int rows) => Add(MatVec(_weights[name + ".weight"], x, rows), _weights[name + ".bias"]);

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
