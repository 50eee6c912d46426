using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// A linear layer's weights: in the compute dtype; as int8 with a per-output-row absmax scale
/// (y = (x · q^T) * s, exact up to rounding of q), which quarters float32 weight memory; or as NF4
/// (<see cref="Nf4Weight"/>, about an eighth). Packed weights stay packed: <see cref="QuantizedMatmul"/> dequantizes a
/// few rows at a time.
/// </summary>
public sealed class Projection : IDisposable
{
    private readonly Tensor? _weight;
    private readonly Int8Weight? _quantized;
    private readonly Tensor? _scale;
    private readonly Nf4Weight? _nf4;
    private readonly Tensor? _bias;

    private Projection(Tensor? weight, Int8Weight? quantized, Tensor? scale, Nf4Weight? nf4, Tensor? bias)
    {
        _nf4 = nf4;
        // Weights live as long as the span; no dispose scope open on the loading thread may own them.
        _weight = weight?.DetachFromDisposeScope();
        _quantized = quantized;
        _scale = scale?.DetachFromDisposeScope();
        _bias = bias?.DetachFromDisposeScope();
    }

    public static Projection Load(Checkpoint checkpoint, string name, long outFeatures, long inFeatures, bool hasBias, BlockLoadOptions options)
    {
        var raw = checkpoint.Load(name + ".weight", outFeatures, inFeatures);
        return FromWeights(raw, hasBias ? checkpoint.Load(name + ".bias", outFeatures) : null, options);
    }

    /// <summary>
    /// From a weight [out, in] and optional bias [out] in any dtype (e.g. a part of a fused checkpoint tensor), held as
    /// <paramref name="options"/> say; the projection owns what it keeps.
    /// </summary>
    public static Projection FromWeights(Tensor raw, Tensor? rawBias, BlockLoadOptions options)
    {
        var bias = rawBias?.MoveToDType(options.DType);
        switch (options.Quantization)
        {
            case WeightQuantization.Int8:
                using (raw)
                {
                    var (quantized, scale) = QuantizeRows(raw);
                    return new Projection(null, new Int8Weight(quantized), scale.MoveToDType(options.DType), null, bias);
                }
            case WeightQuantization.Nf4:
                using (raw) return new Projection(null, null, null, Nf4Weight.Quantize(raw), bias);
            default:
                return new Projection(raw.MoveToDType(options.DType), null, null, null, bias);
        }
    }

    /// <summary>Per-row absmax int8 quantization: scale = max|w_row| / 127, q = round(w / scale).</summary>
    public static (Tensor Quantized, Tensor Scale) QuantizeRows(Tensor weight)
    {
        using var scope = NewDisposeScope();
        var w = weight.to_type(ScalarType.Float32);
        var scale = w.abs().amax([1], keepdim: true).clamp_min(1e-12) / 127.0;
        var quantized = (w / scale).round().clamp(-127, 127).to_type(ScalarType.Int8);
        return (quantized.MoveToOuterDisposeScope(), scale.squeeze(1).MoveToOuterDisposeScope());
    }

    public long WeightBytes =>
        (_weight?.NumberOfElements * _weight?.ElementSize ?? 0)
        + (_quantized?.Bytes ?? 0)
        + (_scale?.NumberOfElements * _scale?.ElementSize ?? 0)
        + (_nf4?.Bytes ?? 0)
        + (_bias?.NumberOfElements * _bias?.ElementSize ?? 0);

    /// <summary>The frozen base projection, plus <paramref name="lora"/>'s low-rank update when given.</summary>
    public Tensor Forward(Tensor input, LoraLayer? lora = null)
    {
        if (lora is null) return Base(input);
        using var scope = NewDisposeScope();
        return (Base(input) + lora.Delta(input)).MoveToOuterDisposeScope();
    }

    private Tensor Base(Tensor input)
    {
        if (_weight is not null)
            return nn.functional.linear(input, _weight, _bias);
        using var scope = NewDisposeScope();
        var output = _nf4 is not null ? QuantizedMatmul.Linear(input, _nf4) : QuantizedMatmul.Linear(input, _quantized!) * _scale!;
        if (_bias is not null) output = output + _bias;
        return output.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _weight?.Dispose();
        _quantized?.Dispose();
        _scale?.Dispose();
        _nf4?.Dispose();
        _bias?.Dispose();
    }
}
