using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>down(gelu(up(x))): hidden → intermediate → hidden, BLOOM's and Falcon's dense_h_to_4h and dense_4h_to_h.</summary>
internal sealed class GeluMlp(Projection up, Projection down, GeluApproximation approximation) : IDisposable
{
    /// <summary>
    /// The two projections by name (e.g. BLOOM's "transformer.h.3.mlp.dense_h_to_4h" and "…dense_4h_to_h"), shaped
    /// [IntermediateSize, HiddenSize] and [HiddenSize, IntermediateSize] from <paramref name="config"/>.
    /// </summary>
    public static GeluMlp Load(Checkpoint checkpoint, ModelConfig config, string up, string down, bool hasBias, GeluApproximation approximation, BlockLoadOptions options)
    {
        var upProjection = Projection.Load(checkpoint, up, config.IntermediateSize, config.HiddenSize, hasBias, options);
        try
        {
            return new GeluMlp(upProjection, Projection.Load(checkpoint, down, config.HiddenSize, config.IntermediateSize, hasBias, options), approximation);
        }
        catch
        {
            upProjection.Dispose();
            throw;
        }
    }

    public long WeightBytes => up.WeightBytes + down.WeightBytes;

    /// <param name="lora">The block's LoRA layers (dense_h_to_4h, dense_4h_to_h), or null.</param>
    public Tensor Forward(Tensor input, BlockLora? lora = null)
    {
        using var scope = NewDisposeScope();
        var intermediate = up.Forward(input, lora?.For("dense_h_to_4h"));
        var activated = approximation == GeluApproximation.Tanh
            ? nn.functional.gelu(intermediate, TorchSharp.Modules.GELU.Approximate.tanh)
            : nn.functional.gelu(intermediate);
        return down.Forward(activated, lora?.For("dense_4h_to_h")).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        up.Dispose();
        down.Dispose();
    }
}
