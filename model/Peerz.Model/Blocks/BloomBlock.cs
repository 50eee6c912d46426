using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// One BLOOM layer (HF BloomBlock with apply_residual_connection_post_layernorm = false):
/// h = x + dense(attn(LN₁(x))); out = h + dense_4h_to_h(gelu_tanh(dense_h_to_4h(LN₂(h)))), positions as ALiBi biases.
/// </summary>
internal sealed class BloomBlock(LayerNorm inputNorm, AlibiAttention attention, LayerNorm postAttentionNorm, GeluMlp mlp) : IDecoderBlock
{
    public static BloomBlock Load(Checkpoint checkpoint, int index, BlockLoadOptions options)
    {
        var config = checkpoint.Config;
        var prefix = BloomTensorNames.Block(checkpoint, index);
        var parts = new List<IDisposable>(4);
        try
        {
            var inputNorm = LayerNorm.Load(checkpoint, prefix + "input_layernorm", config.HiddenSize, config.LayerNormEps, hasBias: true, options);
            parts.Add(inputNorm);
            var attention = AlibiAttention.Load(checkpoint, config, prefix + "self_attention.", options);
            parts.Add(attention);
            var postAttentionNorm = LayerNorm.Load(checkpoint, prefix + "post_attention_layernorm", config.HiddenSize, config.LayerNormEps, hasBias: true, options);
            parts.Add(postAttentionNorm);
            var mlp = GeluMlp.Load(checkpoint, config, prefix + "mlp.dense_h_to_4h", prefix + "mlp.dense_4h_to_h", hasBias: true, GeluApproximation.Tanh, options);
            return new BloomBlock(inputNorm, attention, postAttentionNorm, mlp);
        }
        catch
        {
            foreach (var part in parts) part.Dispose();
            throw;
        }
    }

    public long WeightBytes => attention.WeightBytes + mlp.WeightBytes;

    public Tensor Forward(Tensor input, int startPosition, (Tensor Cos, Tensor Sin)? rotary, LayerKvCache? cache, BlockLora? lora = null)
    {
        using var scope = NewDisposeScope();
        var hidden = input + attention.Forward(inputNorm.Forward(input), startPosition, cache, lora);
        return (hidden + mlp.Forward(postAttentionNorm.Forward(hidden), lora)).MoveToOuterDisposeScope();
    }

    public Tensor ForwardDecodeBatch(Tensor input, int[] positions, (Tensor Cos, Tensor Sin)? rotary, LayerKvCache[] caches)
    {
        using var scope = NewDisposeScope();
        var hidden = input + attention.ForwardDecodeBatch(inputNorm.Forward(input), positions, caches);
        return (hidden + mlp.Forward(postAttentionNorm.Forward(hidden))).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        inputNorm.Dispose();
        attention.Dispose();
        postAttentionNorm.Dispose();
        mlp.Dispose();
    }
}
