using System.Text.Json;
using Peerz.Model.Checkpoints;

namespace Peerz.Model.Tests;

/// <summary>
/// An independent Falcon forward pass in plain C# doubles, written from HF modeling_falcon without TorchSharp: it reads
/// config.json's own keys (hidden_size, num_hidden_layers, num_attention_heads, num_kv_heads, new_decoder_architecture,
/// multi_query, num_ln_in_parallel_attn, bias, ffn_hidden_size, layer_norm_epsilon, rope_theta), embeds with
/// word_embeddings, and per block: LayerNorm (ln_attn and ln_mlp, or input_layernorm for both), query_key_value split as
/// FalconAttention._split_heads does for the layout, rotary (rotate_half) on queries and keys, causal softmax of
/// q·k/√d, dense; the MLP dense_4h_to_h(gelu(dense_h_to_4h(x))) with the exact erf GELU; out = x + attention + MLP; then
/// ln_f and the LM head (tied to word_embeddings unless lm_head.weight is used). It shares only the safetensors reader with Peerz.
/// </summary>
public sealed class NaiveFalcon
{
    private readonly int _layers, _heads, _kvHeads, _hidden, _vocab, _ffn;
    private readonly bool _newArchitecture, _multiQuery, _twoNorms, _bias, _tied;
    private readonly double _eps, _theta;
    private readonly Dictionary<string, double[]> _weights = new();

    public NaiveFalcon(string directory)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, Checkpoint.ConfigFile)));
        var root = config.RootElement;
        _hidden = root.GetProperty("hidden_size").GetInt32();
        _layers = root.GetProperty("num_hidden_layers").GetInt32();
        _heads = root.GetProperty("num_attention_heads").GetInt32();
        _newArchitecture = root.GetProperty("new_decoder_architecture").GetBoolean();
        _multiQuery = root.GetProperty("multi_query").GetBoolean();
        _kvHeads = root.GetProperty("num_kv_heads").GetInt32();
        _twoNorms = _newArchitecture && root.GetProperty("num_ln_in_parallel_attn").GetInt32() == 2;
        _bias = root.GetProperty("bias").GetBoolean();
        _ffn = root.GetProperty("ffn_hidden_size").GetInt32();
        _vocab = root.GetProperty("vocab_size").GetInt32();
        _eps = root.GetProperty("layer_norm_epsilon").GetDouble();
        _theta = root.GetProperty("rope_theta").GetDouble();
        _tied = root.GetProperty("tie_word_embeddings").GetBoolean();
        using var file = SafetensorsFile.Open(Path.Combine(directory, Checkpoint.SingleFile));
        foreach (var name in file.Tensors.Keys)
        {
            using var tensor = file.Load(name);
            using var asFloat = tensor.to_type(TorchSharp.torch.ScalarType.Float64);
            _weights[name] = asFloat.data<double>().ToArray();
        }
    }

    public double[][] Logits(int[] tokens)
    {
        var h = _hidden;
        var x = tokens.Select(id => _weights["transformer.word_embeddings.weight"].AsSpan(id * h, h).ToArray()).ToArray();
        for (var layer = 0; layer < _layers; layer++)
        {
            var p = $"transformer.h.{layer}.";
            var attentionIn = x.Select(row => LayerNorm(row, p + (_twoNorms ? "ln_attn" : "input_layernorm"))).ToArray();
            var mlpIn = _twoNorms ? x.Select(row => LayerNorm(row, p + "ln_mlp")).ToArray() : attentionIn;
            var attention = Attention(attentionIn, p + "self_attention.");
            x = x.Select((row, i) => Add(Add(row, attention[i]), Mlp(mlpIn[i], p + "mlp."))).ToArray();
        }
        var head = _tied ? "transformer.word_embeddings.weight" : "lm_head.weight";
        return x.Select(row => MatVec(_weights[head], LayerNorm(row, "transformer.ln_f"), _vocab)).ToArray();
    }

    private double[][] Attention(double[][] x, string p)
    {
        int t = x.Length, d = _hidden / _heads;
        var fusedWidth = _newArchitecture ? (2 * _kvHeads + _heads) * d : _multiQuery ? _hidden + 2 * d : 3 * _hidden;
        var fused = x.Select(row => Linear(row, p + "query_key_value", fusedWidth)).ToArray();
        // _split_heads, per layout: the (position, head, dim) element of query, key and value in the fused row.
        double Query(int i, int head, int c) => _newArchitecture
            ? fused[i][((head / (_heads / _kvHeads)) * (_heads / _kvHeads + 2) + head % (_heads / _kvHeads)) * d + c]
            : _multiQuery ? fused[i][head * d + c] : fused[i][(head * 3 + 0) * d + c];
        double Key(int i, int head, int c) => _newArchitecture
            ? fused[i][((head / (_heads / _kvHeads)) * (_heads / _kvHeads + 2) + _heads / _kvHeads) * d + c]
            : _multiQuery ? fused[i][_heads * d + c] : fused[i][(head * 3 + 1) * d + c];
        double Value(int i, int head, int c) => _newArchitecture
            ? fused[i][((head / (_heads / _kvHeads)) * (_heads / _kvHeads + 2) + _heads / _kvHeads + 1) * d + c]
            : _multiQuery ? fused[i][(_heads + 1) * d + c] : fused[i][(head * 3 + 2) * d + c];
        // Rotary: cos/sin of position · θ^(−2k/d) for k < d/2, repeated for both halves; x·cos + rotate_half(x)·sin.
        double[] Rotate(Func<int, double> component, int position)
        {
            var rotated = new double[d];
            for (var c = 0; c < d; c++)
            {
                var k = c % (d / 2);
                var angle = position * Math.Pow(_theta, -2.0 * k / d);
                var half = c < d / 2 ? -component(c + d / 2) : component(c - d / 2);
                rotated[c] = component(c) * Math.Cos(angle) + half * Math.Sin(angle);
            }
            return rotated;
        }
        var merged = new double[t][];
        for (var i = 0; i < t; i++)
        {
            merged[i] = new double[_hidden];
            for (var head = 0; head < _heads; head++)
            {
                var q = Rotate(c => Query(i, head, c), i);
                var scores = new double[i + 1];
                for (var j = 0; j <= i; j++)
                {
                    var k = Rotate(c => Key(j, head, c), j);
                    scores[j] = q.Select((v, c) => v * k[c]).Sum() / Math.Sqrt(d);
                }
                var max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                var total = weights.Sum();
                for (var j = 0; j <= i; j++)
                    for (var c = 0; c < d; c++)
                        merged[i][head * d + c] += weights[j] / total * Value(j, head, c);
            }
        }
        return merged.Select(row => Linear(row, p + "dense", _hidden)).ToArray();
    }

    private double[] Mlp(double[] x, string p)
    {
        // nn.GELU(): x · Φ(x) = x · (1 + erf(x / √2)) / 2.
        var up = Linear(x, p + "dense_h_to_4h", _ffn).Select(v => v * (1 + Erf(v / Math.Sqrt(2))) / 2).ToArray();
        return Linear(up, p + "dense_4h_to_h", _hidden);
    }

    /// <summary>erf to about 1e-15 from its Taylor series (|x| ≤ 3) or its continued fraction (|x| > 3).</summary>
    private static double Erf(double x)
    {
        var a = Math.Abs(x);
        double value;
        if (a <= 3)
        {
            double sum = 0, term = a;
            for (var n = 0; n < 200 && Math.Abs(term) > 1e-18; n++)
            {
                sum += term / (2 * n + 1);
                term *= -a * a / (n + 1);
            }
            value = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(a) = exp(−a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + …)))).
            double fraction = a;
            for (var n = 60; n >= 1; n--) fraction = a + n / 2.0 / fraction;
            value = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / fraction;
        }
        return x < 0 ? -value : value;
    }

    private double[] LayerNorm(double[] x, string name)
    {
        var mean = x.Average();
        var variance = x.Select(v => (v - mean) * (v - mean)).Average();
        var weight = _weights[name + ".weight"];
        var bias = _weights[name + ".bias"];
        return x.Select((v, i) => (v - mean) / Math.Sqrt(variance + _eps) * weight[i] + bias[i]).ToArray();
    }

    private double[] Linear(double[] x, string name, int rows)
    {
        var y = MatVec(_weights[name + ".weight"], x, rows);
        return _bias ? Add(y, _weights[name + ".bias"]) : y;
    }

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
