using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>down(silu(gate(x)) * up(x)).</summary>
internal sealed class SwiGluMlp(Projection gate, Projection up, Projection down) : IDisposable
{
    public static SwiGluMlp Load(Checkpoint checkpoint, ModelConfig config, string prefix, BlockLoadOptions options) => new(
        Projection.Load(checkpoint, prefix + "gate_proj", config.IntermediateSize, config.HiddenSize, config.MlpBias, options),
        Projection.Load(checkpoint, prefix + "up_proj", config.IntermediateSize, config.HiddenSize, config.MlpBias, options),
        Projection.Load(checkpoint, prefix + "down_proj", config.HiddenSize, config.IntermediateSize, config.MlpBias, options));

    public long WeightBytes => gate.WeightBytes + up.WeightBytes + down.WeightBytes;

    public Tensor Forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return down.Forward(nn.functional.silu(gate.Forward(input)) * up.Forward(input)).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        gate.Dispose();
        up.Dispose();
        down.Dispose();
    }
}
