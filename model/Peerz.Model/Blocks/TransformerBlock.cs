using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>One pre-norm decoder layer: h = x + attn(norm(x)); out = h + mlp(norm(h)), the MLP dense or a mixture of experts.</summary>
internal sealed class TransformerBlock(RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, IFeedForward mlp) : IDecoderBlock
{
    public static string Prefix(int index) => $"model.layers.{index}.";

    public static TransformerBlock Load(Checkpoint checkpoint, int index, BlockLoadOptions options)
    {
        var config = checkpoint.Config;
        var prefix = Prefix(index);
        return new TransformerBlock(
            LoadNorm(checkpoint, prefix + "input_layernorm.weight", options),
            Attention.Load(checkpoint, config, prefix + "self_attn.", options),
            LoadNorm(checkpoint, prefix + "post_attention_layernorm.weight", options),
            config.IsMixtureOfExperts
                ? SparseMoeMlp.Load(checkpoint, config, prefix + "block_sparse_moe.", options)
                : SwiGluMlp.Load(checkpoint, config, prefix + "mlp.", options));
    }

    internal static RmsNorm LoadNorm(Checkpoint checkpoint, string name, BlockLoadOptions options) =>
        new(checkpoint.Load(name, checkpoint.Config.HiddenSize).MoveToDType(options.DType), checkpoint.Config.RmsNormEps);

    public long WeightBytes => attention.WeightBytes + mlp.WeightBytes;

    public Tensor Forward(Tensor input, int startPosition, (Tensor Cos, Tensor Sin)? rotary, LayerKvCache? cache, BlockLora? lora = null)
    {
        using var scope = NewDisposeScope();
        var hidden = input + attention.Forward(inputNorm.Forward(input), startPosition, rotary ?? throw MissingRotary(), cache, lora);
        return (hidden + mlp.Forward(postAttentionNorm.Forward(hidden), lora)).MoveToOuterDisposeScope();
    }

    /// <summary>One decode position for each of N sessions (see <see cref="Attention.ForwardDecodeBatch"/>).</summary>
    public Tensor ForwardDecodeBatch(Tensor input, int[] positions, (Tensor Cos, Tensor Sin)? rotary, LayerKvCache[] caches)
    {
        using var scope = NewDisposeScope();
        var hidden = input + attention.ForwardDecodeBatch(inputNorm.Forward(input), positions, rotary ?? throw MissingRotary(), caches);
        return (hidden + mlp.Forward(postAttentionNorm.Forward(hidden))).MoveToOuterDisposeScope();
    }

    private static InvalidOperationException MissingRotary() => new("Llama-family blocks need the span's rotary angles");

    public void Dispose()
    {
        inputNorm.Dispose();
        attention.Dispose();
        postAttentionNorm.Dispose();
        mlp.Dispose();
    }
}
