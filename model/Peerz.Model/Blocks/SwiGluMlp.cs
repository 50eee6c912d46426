using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>down(silu(gate(x)) * up(x)).</summary>
internal sealed class SwiGluMlp(Projection gate, Projection up, Projection down) : IFeedForward
{
    public static SwiGluMlp Load(Checkpoint checkpoint, ModelConfig config, string prefix, BlockLoadOptions options) =>
        Load(checkpoint, config, prefix + "gate_proj", prefix + "up_proj", prefix + "down_proj", options);

    /// <summary>The three projections by name: Llama's mlp.{gate,up,down}_proj, or one Mixtral expert's w1, w3, w2 (no biases).</summary>
    public static SwiGluMlp Load(Checkpoint checkpoint, ModelConfig config, string gate, string up, string down, BlockLoadOptions options)
    {
        var projections = new List<Projection>(3);
        try
        {
            projections.Add(Projection.Load(checkpoint, gate, config.IntermediateSize, config.HiddenSize, config.MlpBias, options));
            projections.Add(Projection.Load(checkpoint, up, config.IntermediateSize, config.HiddenSize, config.MlpBias, options));
            projections.Add(Projection.Load(checkpoint, down, config.HiddenSize, config.IntermediateSize, config.MlpBias, options));
            return new SwiGluMlp(projections[0], projections[1], projections[2]);
        }
        catch
        {
            foreach (var projection in projections) projection.Dispose();
            throw;
        }
    }

    public long WeightBytes => gate.WeightBytes + up.WeightBytes + down.WeightBytes;

    public Tensor Forward(Tensor input, BlockLora? lora = null)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(gate.Forward(input, lora?.For("gate_proj"))) * up.Forward(input, lora?.For("up_proj"));
        return down.Forward(gated, lora?.For("down_proj")).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        gate.Dispose();
        up.Dispose();
        down.Dispose();
    }
}
