using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// One Falcon layer (HF FalconDecoderLayer with parallel attention): out = x + dense(attn(LN_attn(x))) + mlp(LN_mlp(x)),
/// where LN_mlp is ln_mlp in the two-norm layout (Falcon-40B/180B) and the same input_layernorm otherwise (Falcon-7B);
/// the MLP is dense_4h_to_h(gelu(dense_h_to_4h(·))) with exact GELU, positions are rotary.
/// </summary>
internal sealed class FalconBlock(ModelConfig config, LayerNorm attentionNorm, LayerNorm? mlpNorm, Attention attention, GeluMlp mlp) : IDecoderBlock
{
    public static string Prefix(int index) => $"transformer.h.{index}.";

    public static FalconBlock Load(Checkpoint checkpoint, int index, BlockLoadOptions options)
    {
        var config = checkpoint.Config;
        var layout = config.Falcon ?? throw new InvalidOperationException("not a Falcon checkpoint");
        var prefix = Prefix(index);
        var parts = new List<IDisposable>(4);
        LayerNorm Norm(string name)
        {
            var norm = LayerNorm.Load(checkpoint, prefix + name, config.HiddenSize, config.LayerNormEps, hasBias: true, options);
            parts.Add(norm);
            return norm;
        }
        try
        {
            var attentionNorm = Norm(layout.SeparateMlpNorm ? "ln_attn" : "input_layernorm");
            var mlpNorm = layout.SeparateMlpNorm ? Norm("ln_mlp") : null;
            var attention = FusedQueryKeyValue.LoadAttention(checkpoint, config, prefix + "self_attention.", options);
            parts.Add(attention);
            var mlp = GeluMlp.Load(checkpoint, config, prefix + "mlp.dense_h_to_4h", prefix + "mlp.dense_4h_to_h", config.MlpBias, GeluApproximation.None, options);
            return new FalconBlock(config, attentionNorm, mlpNorm, attention, mlp);
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
        var split = lora is null ? null : FusedQueryKeyValue.ForSplitAttention(lora, config);
        var normed = attentionNorm.Forward(input);
        var attended = attention.Forward(normed, startPosition, rotary ?? throw MissingRotary(), cache, split);
        return (input + attended + mlp.Forward(mlpNorm?.Forward(input) ?? normed, split)).MoveToOuterDisposeScope();
    }

    public Tensor ForwardDecodeBatch(Tensor input, int[] positions, (Tensor Cos, Tensor Sin)? rotary, LayerKvCache[] caches)
    {
        using var scope = NewDisposeScope();
        var normed = attentionNorm.Forward(input);
        var attended = attention.ForwardDecodeBatch(normed, positions, rotary ?? throw MissingRotary(), caches);
        return (input + attended + mlp.Forward(mlpNorm?.Forward(input) ?? normed)).MoveToOuterDisposeScope();
    }

    private static InvalidOperationException MissingRotary() => new("Falcon blocks need the span's rotary angles");

    public void Dispose()
    {
        attentionNorm.Dispose();
        mlpNorm?.Dispose();
        attention.Dispose();
        mlp.Dispose();
    }
}
