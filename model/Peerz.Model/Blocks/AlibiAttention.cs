using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// BLOOM's self-attention: one fused query_key_value projection whose output is laid out per head as
/// [heads, 3, head_dim] (query, key, value of head 0, then of head 1, …), causal attention whose scores get the ALiBi
/// bias slope_h · (j − i) for key position j and query position i, and the dense output projection.
/// </summary>
/// <remarks>
/// HF adds slope_h · j; softmax over keys is invariant to adding a constant per query row, so slope_h · (j − i) gives the
/// same probabilities while keeping the bias small for long sequences in half precision. Being relative, the bias needs
/// no absolute position: a cached decode step, a span that starts mid-model and a batched decode row all get theirs
/// from the number of keys they attend to.
/// </remarks>
internal sealed class AlibiAttention : IDisposable
{
    private readonly ModelConfig _config;
    private readonly Projection _queryKeyValue;
    private readonly Projection _output;
    private readonly Tensor _slopes;

    private AlibiAttention(ModelConfig config, Projection queryKeyValue, Projection output)
    {
        _config = config;
        _queryKeyValue = queryKeyValue;
        _output = output;
        _slopes = tensor(AlibiSlopes.For(config.NumHeads).Select(s => (float)s).ToArray()).view(config.NumHeads, 1, 1).DetachFromDisposeScope();
    }

    /// <param name="prefix">e.g. "transformer.h.3.self_attention."</param>
    public static AlibiAttention Load(Checkpoint checkpoint, ModelConfig config, string prefix, BlockLoadOptions options)
    {
        long hidden = config.HiddenSize;
        var queryKeyValue = Projection.Load(checkpoint, prefix + "query_key_value", 3 * hidden, hidden, hasBias: true, options);
        try
        {
            return new AlibiAttention(config, queryKeyValue, Projection.Load(checkpoint, prefix + "dense", hidden, hidden, hasBias: true, options));
        }
        catch
        {
            queryKeyValue.Dispose();
            throw;
        }
    }

    public long WeightBytes => _queryKeyValue.WeightBytes + _output.WeightBytes;

    /// <param name="input">[batch, length, hidden] at positions [<paramref name="startPosition"/>, +length).</param>
    /// <param name="cache">When given, this step's keys/values are appended and attention covers all cached positions.</param>
    /// <param name="lora">The block's LoRA layers (query_key_value, whose update has the fused per-head layout, and dense), or null.</param>
    public Tensor Forward(Tensor input, int startPosition, LayerKvCache? cache, BlockLora? lora = null)
    {
        using var scope = NewDisposeScope();
        long batch = input.shape[0], length = input.shape[1];
        var (q, k, v) = SplitHeads(_queryKeyValue.Forward(input, lora?.For("query_key_value")), batch, length);
        if (cache is not null)
            (k, v) = cache.Append(k, v, startPosition);
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, Bias(length, k.shape[2], q.dtype), 0.0, false);
        return _output.Forward(Merge(attended, batch, length), lora?.For("dense")).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One decode position for each of N sessions: <paramref name="input"/> is [N, 1, hidden], row i at
    /// <paramref name="positions"/>[i] with its own <paramref name="caches"/>[i]. The projections run once over all rows;
    /// attention runs per row because each session's cache has its own length.
    /// </summary>
    public Tensor ForwardDecodeBatch(Tensor input, int[] positions, LayerKvCache[] caches)
    {
        using var scope = NewDisposeScope();
        var rows = input.shape[0];
        var (q, k, v) = SplitHeads(_queryKeyValue.Forward(input), rows, 1);
        var attended = new Tensor[rows];
        for (var i = 0; i < rows; i++)
        {
            var (cachedKeys, cachedValues) = caches[i].Append(k.narrow(0, i, 1), v.narrow(0, i, 1), positions[i]);
            attended[i] = nn.functional.scaled_dot_product_attention(q.narrow(0, i, 1), cachedKeys, cachedValues, Bias(1, cachedKeys.shape[2], q.dtype), 0.0, false);
        }
        return _output.Forward(Merge(cat(attended, 0), rows, 1)).MoveToOuterDisposeScope();
    }

    /// <summary>[batch, length, heads · 3 · headDim] → query, key, value, each [batch, heads, length, headDim].</summary>
    private (Tensor Query, Tensor Key, Tensor Value) SplitHeads(Tensor fused, long batch, long length)
    {
        var perHead = fused.view(batch, length, _config.NumHeads, 3, _config.HeadDim);
        Tensor Part(int index) => perHead.select(3, index).transpose(1, 2);
        return (Part(0), Part(1), Part(2));
    }

    private Tensor Merge(Tensor attended, long batch, long length) =>
        attended.transpose(1, 2).reshape(batch, length, _config.NumHeads * _config.HeadDim);

    /// <summary>
    /// [1, heads, queries, keys] additive bias for the last <paramref name="queries"/> of <paramref name="keys"/> positions:
    /// slope_h · (j − i) where key j is at or before query i, −∞ after it.
    /// </summary>
    private Tensor Bias(long queries, long keys, ScalarType dtype)
    {
        var distance = arange(keys, dtype: ScalarType.Float32).unsqueeze(0) - arange(keys - queries, keys, dtype: ScalarType.Float32).unsqueeze(1);
        var bias = (_slopes * distance).masked_fill(distance > 0, double.NegativeInfinity);
        return bias.unsqueeze(0).to_type(dtype);
    }

    public void Dispose()
    {
        _queryKeyValue.Dispose();
        _output.Dispose();
        _slopes.Dispose();
    }
}
