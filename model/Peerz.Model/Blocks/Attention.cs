using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>Causal self-attention with grouped-query heads and rotary positions.</summary>
internal sealed class Attention(ModelConfig config, Projection query, Projection key, Projection value, Projection output) : IDisposable
{
    public static Attention Load(Checkpoint checkpoint, ModelConfig config, string prefix, BlockLoadOptions options)
    {
        long hidden = config.HiddenSize, queryWidth = config.NumHeads * config.HeadDim, kvWidth = config.NumKeyValueHeads * config.HeadDim;
        return new Attention(
            config,
            Projection.Load(checkpoint, prefix + "q_proj", queryWidth, hidden, config.QkvBias, options),
            Projection.Load(checkpoint, prefix + "k_proj", kvWidth, hidden, config.QkvBias, options),
            Projection.Load(checkpoint, prefix + "v_proj", kvWidth, hidden, config.QkvBias, options),
            Projection.Load(checkpoint, prefix + "o_proj", hidden, queryWidth, config.OutputBias, options));
    }

    public long WeightBytes => query.WeightBytes + key.WeightBytes + value.WeightBytes + output.WeightBytes;

    /// <param name="input">[batch, length, hidden], positions start at <paramref name="startPosition"/>.</param>
    /// <param name="cache">When given, this step's keys/values are appended and attention covers all cached positions.</param>
    /// <param name="lora">The block's LoRA layers (q/k/v/o_proj), or null.</param>
    public Tensor Forward(Tensor input, int startPosition, (Tensor Cos, Tensor Sin) rotary, LayerKvCache? cache, BlockLora? lora = null)
    {
        using var scope = NewDisposeScope();
        long batch = input.shape[0], length = input.shape[1];
        var q = Heads(query.Forward(input, lora?.For("q_proj")), config.NumHeads, batch, length);
        var k = Heads(key.Forward(input, lora?.For("k_proj")), config.NumKeyValueHeads, batch, length);
        var v = Heads(value.Forward(input, lora?.For("v_proj")), config.NumKeyValueHeads, batch, length);
        q = RotaryEmbedding.Apply(q, rotary.Cos, rotary.Sin);
        k = RotaryEmbedding.Apply(k, rotary.Cos, rotary.Sin);
        if (cache is not null)
            (k, v) = cache.Append(k, v, startPosition);
        if (config.KeyValueGroups > 1)
        {
            k = k.repeat_interleave(config.KeyValueGroups, dim: 1);
            v = v.repeat_interleave(config.KeyValueGroups, dim: 1);
        }
        var mask = CausalMask(length, k.shape[2], q.dtype);
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, mask, 0.0, false);
        var merged = attended.transpose(1, 2).reshape(batch, length, config.NumHeads * config.HeadDim);
        return output.Forward(merged, lora?.For("o_proj")).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One decode position for each of N independent sessions: <paramref name="input"/> is [N, 1, hidden], row i at
    /// position <paramref name="positions"/>[i] with its own <paramref name="caches"/>[i]. The projections run once over
    /// all rows (where the batching gain is); attention runs per row because each session's cache has its own length.
    /// </summary>
    public Tensor ForwardDecodeBatch(Tensor input, int[] positions, (Tensor Cos, Tensor Sin) rotary, LayerKvCache[] caches)
    {
        using var scope = NewDisposeScope();
        var rows = input.shape[0];
        var q = RotaryEmbedding.Apply(Heads(query.Forward(input), config.NumHeads, rows, 1), rotary.Cos, rotary.Sin);
        var k = RotaryEmbedding.Apply(Heads(key.Forward(input), config.NumKeyValueHeads, rows, 1), rotary.Cos, rotary.Sin);
        var v = Heads(value.Forward(input), config.NumKeyValueHeads, rows, 1);
        var attended = new Tensor[rows];
        for (var i = 0; i < rows; i++)
        {
            var (cachedKeys, cachedValues) = caches[i].Append(k.narrow(0, i, 1), v.narrow(0, i, 1), positions[i]);
            if (config.KeyValueGroups > 1)
            {
                cachedKeys = cachedKeys.repeat_interleave(config.KeyValueGroups, dim: 1);
                cachedValues = cachedValues.repeat_interleave(config.KeyValueGroups, dim: 1);
            }
            attended[i] = nn.functional.scaled_dot_product_attention(q.narrow(0, i, 1), cachedKeys, cachedValues, null, 0.0, false);
        }
        var merged = cat(attended, 0).transpose(1, 2).reshape(rows, 1, config.NumHeads * config.HeadDim);
        return output.Forward(merged).MoveToOuterDisposeScope();
    }

    private static Tensor Heads(Tensor projected, int heads, long batch, long length) =>
        projected.view(batch, length, heads, -1).transpose(1, 2);

    /// <summary>Additive mask: query i (the last <paramref name="queries"/> of <paramref name="keys"/> positions) sees keys ≤ i.</summary>
    private static Tensor? CausalMask(long queries, long keys, ScalarType dtype)
    {
        if (queries == 1) return null;
        var queryPositions = arange(keys - queries, keys).unsqueeze(1);
        var keyPositions = arange(keys).unsqueeze(0);
        return zeros([queries, keys], dtype).masked_fill(keyPositions > queryPositions, double.NegativeInfinity);
    }

    public void Dispose()
    {
        query.Dispose();
        key.Dispose();
        value.Dispose();
        output.Dispose();
    }
}
