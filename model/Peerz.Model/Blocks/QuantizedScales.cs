using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// NF4's block scales in 8 bits, QLoRA's double quantization: a float32 scale per 64 weights is 0.5 bit per weight,
/// an int8 one 0.125. The scales are all positive, so their mean is subtracted first (the codes then use both signs);
/// each group of <see cref="GroupSize"/> centred scales is stored as round(c / step) with step = absmax / 127 of the group.
/// QLoRA stores these codes in bitsandbytes' dynamic 8-bit float map; this is linear int8, whose error bound is simpler
/// to state: half a step of the group per scale.
/// </summary>
internal sealed unsafe class QuantizedScales : IDisposable
{
    /// <summary>Scales per float32 step, as QLoRA's second-level block size.</summary>
    public const int GroupSize = 256;

    private readonly Tensor _codes;
    private readonly Tensor _steps;
    private readonly float _offset;
    private readonly sbyte* _codeData;
    private readonly float* _stepData;

    private QuantizedScales(Tensor codes, Tensor steps, float offset)
    {
        _codes = codes.DetachFromDisposeScope();
        _steps = steps.DetachFromDisposeScope();
        _offset = offset;
        // CPU tensors' storage is native memory that stays in place for the tensor's lifetime.
        fixed (byte* data = _codes.bytes) _codeData = (sbyte*)data;
        fixed (byte* data = _steps.bytes) _stepData = (float*)data;
    }

    /// <summary>One byte per scale, a float32 step per group and the float32 offset.</summary>
    public long Bytes => _codes.NumberOfElements + _steps.NumberOfElements * sizeof(float) + sizeof(float);

    /// <param name="scales">float32 [count], every value ≥ 0.</param>
    public static QuantizedScales Quantize(Tensor scales)
    {
        using var scope = NewDisposeScope();
        var count = scales.shape[0];
        // In float64, so that a verifier quantizing the same checkpoint gets the same float32 offset whatever order its
        // kernels sum in (everything else here is exact elementwise arithmetic): its replay holds the provider's weights.
        var offset = (float)scales.to_type(ScalarType.Float64).mean().item<double>();
        var centred = scales - offset;
        var padding = (GroupSize - count % GroupSize) % GroupSize;
        var groups = (padding > 0 ? cat([centred, zeros(padding)]) : centred).view(-1, GroupSize);
        var steps = (groups.abs().amax([1]) / 127).clamp_min(float.Epsilon);
        var codes = (groups / steps.unsqueeze(1)).round().clamp(-127, 127).to_type(ScalarType.Int8).flatten().narrow(0, 0, count).clone();
        return new QuantizedScales(codes.MoveToOuterDisposeScope(), steps.MoveToOuterDisposeScope(), offset);
    }

    /// <summary>Scale number <paramref name="index"/>, offset + code × its group's step (a float32 multiply, then an add).</summary>
    public float this[long index] => _codeData[index] * _stepData[index / GroupSize] + _offset;

    public void Dispose()
    {
        _codes.Dispose();
        _steps.Dispose();
    }
}
