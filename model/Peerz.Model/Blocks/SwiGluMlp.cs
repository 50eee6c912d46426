using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// down(silu(gate(x)) * up(x)); <see cref="Modules"/> are the projections' LoRA module names (gate, up, down): Llama's
/// gate_proj, up_proj, down_proj, or one Mixtral expert's experts.{e}.w1, w3, w2.
/// </summary>
internal sealed class SwiGluMlp(Projection gate, Projection up, Projection down, SwiGluMlp.Names modules) : IFeedForward
{
    public static readonly Names LlamaModules = new("gate_proj", "up_proj", "down_proj");

    public static SwiGluMlp Load(Checkpoint checkpoint, ModelConfig config, string prefix, BlockLoadOptions options) =>
        Load(checkpoint, config, prefix, LlamaModules, options);

    /// <summary>The three projections <c>{prefix}{module}.weight</c> for <paramref name="modules"/> (no biases in Mixtral's experts).</summary>
    public static SwiGluMlp Load(Checkpoint checkpoint, ModelConfig config, string prefix, Names modules, BlockLoadOptions options)
    {
        string gate = prefix + modules.Gate, up = prefix + modules.Up, down = prefix + modules.Down;
        var projections = new List<Projection>(3);
        try
        {
            projections.Add(Projection.Load(checkpoint, gate, config.IntermediateSize, config.HiddenSize, config.MlpBias, options));
            projections.Add(Projection.Load(checkpoint, up, config.IntermediateSize, config.HiddenSize, config.MlpBias, options));
            projections.Add(Projection.Load(checkpoint, down, config.HiddenSize, config.IntermediateSize, config.MlpBias, options));
            return new SwiGluMlp(projections[0], projections[1], projections[2], modules);
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
        var gated = nn.functional.silu(gate.Forward(input, lora?.For(modules.Gate))) * up.Forward(input, lora?.For(modules.Up));
        return down.Forward(gated, lora?.For(modules.Down)).MoveToOuterDisposeScope();
    }

    /// <summary>The names of the gate, up and down projections.</summary>
    public sealed record Names(string Gate, string Up, string Down);

    public void Dispose()
    {
        gate.Dispose();
        up.Dispose();
        down.Dispose();
    }
}
