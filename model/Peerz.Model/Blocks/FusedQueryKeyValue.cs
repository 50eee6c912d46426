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
        long groups = config.NumKeyValueHeads, perGroup = config.NumHeads / config.NumKeyValueHeads, headDim = config.HeadDim, hidden = config.HiddenSize;
        var rows = groups * (perGroup + 2) * headDim;
        var projections = new List<Projection>(4);
        try
        {
            using (var scope = NewDisposeScope())
            {
                var weight = checkpoint.Load(prefix + "query_key_value.weight", rows, hidden).view(groups, perGroup + 2, headDim, hidden);
                var bias = config.QkvBias ? checkpoint.Load(prefix + "query_key_value.bias", rows).view(groups, perGroup + 2, headDim) : null;
                // Query heads in group order, then the key heads, then the value heads.
                (Tensor Weight, Tensor? Bias) Part(long from, long count) => (
                    weight.narrow(1, from, count).reshape(groups * count * headDim, hidden).contiguous(),
                    bias?.narrow(1, from, count).reshape(groups * count * headDim).contiguous());
                foreach (var (w, b) in new[] { Part(0, perGroup), Part(perGroup, 1), Part(perGroup + 1, 1) })
                    projections.Add(Projection.FromWeights(w, b, options));
            }
            projections.Add(Projection.Load(checkpoint, prefix + "dense", hidden, config.NumHeads * headDim, config.OutputBias, options));
            return new Attention(config, projections[0], projections[1], projections[2], projections[3]);
        }
        catch
        {
            foreach (var projection in projections) projection.Dispose();
            throw;
        }
    }
}
