using Peerz.Model.Checkpoints;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// LayerNorm over the hidden dimension: (x − mean) / sqrt(var + eps) · weight + bias, the variance biased (divided by n)
/// as torch.nn.LayerNorm computes it. Computed in at least float32 and returned in the input's dtype, so half-precision
/// hidden states do not lose the mean subtraction to rounding.
/// </summary>
public sealed class LayerNorm : INormalization
{
    private readonly Tensor _weight;
    private readonly Tensor? _bias;
    private readonly double _eps;

    public LayerNorm(Tensor weight, Tensor? bias, double eps)
    {
        if (weight.ndim != 1 || bias is not null && !bias.shape.SequenceEqual(weight.shape))
            throw new ArgumentException($"layer norm weight must be [hidden] and its bias the same shape, got [{string.Join(", ", weight.shape)}]");
        _weight = weight.DetachFromDisposeScope();
        _bias = bias?.DetachFromDisposeScope();
        _eps = eps;
    }

    /// <summary>
    /// Loads <paramref name="name"/>.weight and, when <paramref name="hasBias"/>, <paramref name="name"/>.bias, both
    /// [<paramref name="size"/>], in the compute dtype (e.g. "transformer.ln_f" for BLOOM's final norm).
    /// </summary>
    public static LayerNorm Load(Checkpoint checkpoint, string name, long size, double eps, bool hasBias, BlockLoadOptions options)
    {
        var weight = checkpoint.Load(name + ".weight", size).MoveToDType(options.DType);
        try
        {
            var bias = hasBias ? checkpoint.Load(name + ".bias", size).MoveToDType(options.DType) : null;
            return new LayerNorm(weight, bias, eps);
        }
        catch
        {
            weight.Dispose();
            throw;
        }
    }

    public Tensor Forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var dtype = Precision.AtLeastFloat32(input.dtype);
        var normalized = nn.functional.layer_norm(
            input.to_type(dtype), [_weight.shape[0]], _weight.to_type(dtype), _bias?.to_type(dtype), _eps);
        return normalized.to_type(input.dtype).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _weight.Dispose();
        _bias?.Dispose();
    }
}
