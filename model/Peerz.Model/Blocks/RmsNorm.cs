using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>Root-mean-square layer norm, computed in at least float32 and scaled in the compute dtype (as HF Llama does).</summary>
public sealed class RmsNorm(Tensor weight, double eps) : INormalization
{
    private readonly Tensor _weight = weight.DetachFromDisposeScope();

    public Tensor Forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to_type(Precision.AtLeastFloat32(input.dtype));
        var normalized = x * (x.pow(2).mean([-1], keepdim: true) + eps).rsqrt();
        return (_weight * normalized.to_type(input.dtype)).MoveToOuterDisposeScope();
    }

    public void Dispose() => _weight.Dispose();
}
