using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// Falcon's fused query_key_value projection, split at load into the query, key and value projections that
/// <see cref="Attention"/> runs (rotary, grouped-query heads, KV cache and batched decode as for the Llama family).
/// Its output rows are laid out per key/value group g: the group's heads/groups query heads, then its key head, then
/// its value head, each head_dim rows ([groups, heads/groups + 2, head_dim]). With one group this is Falcon-7B's
/// multi-query layout (all query heads, then the shared key and value), with num_kv_heads groups the new decoder
/// architecture's; query head g · (heads/groups) + r attends with group g's key and value, as Attention's
/// repeat_interleave pairs them.
/// </summary>
internal static class FusedQueryKeyValue
{
    public static Attention LoadAttention(Checkpoint checkpoint, ModelConfig config, string prefix, BlockLoadOptions options)
    {
        long hidden = config.HiddenSize, rows = (config.NumHeads + 2L * config.NumKeyValueHeads) * config.HeadDim;
        var projections = new List<Projection>(4);
        try
        {
            using (var scope = NewDisposeScope())
            {
                var (queryWeight, keyWeight, valueWeight) = Split(checkpoint.Load(prefix + "query_key_value.weight", rows, hidden), config);
                var (queryBias, keyBias, valueBias) = config.QkvBias ? Split(checkpoint.Load(prefix + "query_key_value.bias", rows), config) : default;
                foreach (var (w, b) in new[] { (queryWeight, queryBias), (keyWeight, keyBias), (valueWeight, valueBias) })
                    projections.Add(Projection.FromWeights(w.contiguous(), b?.contiguous(), options));
            }
            projections.Add(Projection.Load(checkpoint, prefix + "dense", hidden, config.NumHeads * config.HeadDim, config.OutputBias, options));
            return new Attention(config, projections[0], projections[1], projections[2], projections[3]);
        }
        catch
        {
            foreach (var projection in projections) projection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A block's LoRA layers on the fused projections as the split <see cref="Attention"/> takes them: query_key_value's
    /// update B·A splits by B's rows exactly as the weight does (A is shared; the split is a view, so gradients reach
    /// the fused B), and dense is the output projection. The MLP's layers pass through unchanged.
    /// </summary>
    public static BlockLora ForSplitAttention(BlockLora lora, ModelConfig config)
    {
        var layers = new Dictionary<string, LoraLayer>();
        if (lora.For("query_key_value") is { } fused)
        {
            var (query, key, value) = Split(fused.B, config);
            layers["q_proj"] = fused with { B = query };
            layers["k_proj"] = fused with { B = key };
            layers["v_proj"] = fused with { B = value };
        }
        if (lora.For("dense") is { } dense) layers["o_proj"] = dense;
        foreach (var module in new[] { "dense_h_to_4h", "dense_4h_to_h" })
        {
            if (lora.For(module) is { } layer) layers[module] = layer;
        }
        return new BlockLora(layers);
    }

    /// <summary>
    /// A tensor whose first dimension is the fused output ([groups, heads/groups + 2, head_dim] rows) into the query
    /// heads in group order, the key heads and the value heads, each with the remaining dimensions unchanged.
    /// </summary>
    private static (Tensor Query, Tensor Key, Tensor Value) Split(Tensor fused, ModelConfig config)
    {
        long groups = config.NumKeyValueHeads, perGroup = config.NumHeads / config.NumKeyValueHeads, headDim = config.HeadDim;
        var rest = fused.shape.Skip(1).ToArray();
        var grouped = fused.view([groups, perGroup + 2, headDim, .. rest]);
        Tensor Part(long from, long count) => grouped.narrow(1, from, count).reshape([groups * count * headDim, .. rest]);
        return (Part(0, perGroup), Part(perGroup, 1), Part(perGroup + 1, 1));
    }
}
