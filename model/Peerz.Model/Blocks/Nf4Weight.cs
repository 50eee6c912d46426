using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// A weight matrix in 4-bit NormalFloat (NF4, QLoRA: Dettmers et al. 2023): the flattened weights are cut into blocks
/// of <see cref="BlockSize"/>, each block is divided by its absmax and every value is replaced by the nearest of the
/// 16 <see cref="Levels"/>, two 4-bit codes per byte. The block scales are themselves stored in 8 bits
/// (<see cref="QuantizedScales"/>, QLoRA's double quantization). Only this packed form is kept; matmuls dequantize a few rows
/// at a time (<see cref="QuantizedMatmul"/>).
/// </summary>
public sealed unsafe class Nf4Weight : IQuantizedRows, IDisposable
{
    /// <summary>Weights per absmax scale, as in QLoRA and bitsandbytes.</summary>
    public const int BlockSize = 64;

    /// <summary>
    /// NF4's code values: quantiles of N(0, 1) normalised to [-1, 1], 8 for the positive half and 7 for the negative
    /// half so that 0 is exact (bitsandbytes' <c>create_normal_map</c>, the values its kernels use; the tests derive them
    /// from the definition independently). Code i stands for Levels[i].
    /// </summary>
    public static readonly float[] Levels =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    private readonly Tensor _packed;
    private readonly byte* _data;
    private readonly QuantizedScales _scales;
    private readonly long[] _shape;

    private Nf4Weight(Tensor packed, QuantizedScales scales, long[] shape)
    {
        _packed = packed.DetachFromDisposeScope();
        // CPU tensors' storage is native memory that stays in place for the tensor's lifetime.
        fixed (byte* data = _packed.bytes) _data = data;
        _scales = scales;
        _shape = shape;
        Columns = shape.Length == 0 ? 1 : checked((int)shape[^1]);
        Rows = Columns == 0 ? 0 : checked((int)(shape.Aggregate(1L, (a, b) => a * b) / Columns));
    }

    /// <summary>The matrix's last dimension; every other dimension counts as rows.</summary>
    public int Columns { get; }

    public int Rows { get; }

    /// <summary>Bytes held: the packed codes (half a byte per weight) and the quantized block scales.</summary>
    public long Bytes => _packed.NumberOfElements + _scales.Bytes;

    /// <summary>
    /// Quantizes <paramref name="weight"/> (any shape, in row-major order; a last partial block is padded with zeros).
    /// Each value becomes the code whose level is nearest to value / absmax of its block.
    /// </summary>
    public static Nf4Weight Quantize(Tensor weight)
    {
        using var scope = NewDisposeScope();
        var flat = weight.to_type(ScalarType.Float32).flatten();
        var padding = (BlockSize - flat.shape[0] % BlockSize) % BlockSize;
        if (padding > 0) flat = cat([flat, zeros(padding)]);
        var blocks = flat.view(-1, BlockSize);
        var absmax = blocks.abs().amax([1]);
        var normalized = blocks / absmax.clamp_min(float.Epsilon).unsqueeze(1);
        // Nearest level: the count of midpoints between consecutive levels that lie below the value.
        var levels = tensor(Levels);
        var midpoints = (levels.narrow(0, 0, 15) + levels.narrow(0, 1, 15)) / 2;
        var codes = bucketize(normalized.flatten(), midpoints).view(-1, 2);
        // First weight of a pair in the high nibble, as bitsandbytes packs.
        var packed = (codes.select(1, 0) * 16 + codes.select(1, 1)).to_type(ScalarType.Byte);
        return new Nf4Weight(packed.MoveToOuterDisposeScope(), QuantizedScales.Quantize(absmax), weight.shape);
    }

    /// <summary>The weight matrix in <paramref name="dtype"/>: Levels[code] × its block's scale.</summary>
    public Tensor Dequantize(ScalarType dtype)
    {
        var weights = empty(_shape);
        DequantizeRows(0, Rows, MemoryMarshal.Cast<byte, float>(weights.bytes));
        return weights.MoveToDType(dtype);
    }

    public void DequantizeRows(int firstRow, int rowCount, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + rowCount, Rows);
        var count = checked(rowCount * Columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, count);
        fixed (float* target = destination)
        {
            // Flat positions [start, end); a row need not begin or end on a block boundary.
            var position = (long)firstRow * Columns;
            var end = position + count;
            var written = target;
            while (position < end)
            {
                var block = position / BlockSize;
                var take = (int)Math.Min(BlockSize - position % BlockSize, end - position);
                var scale = _scales[block];
                if (take == BlockSize && Avx2.IsSupported)
                    DequantizeBlock(_data + block * (BlockSize / 2), scale, written);
                else
                    for (var i = 0; i < take; i++)
                    {
                        var packed = _data[(position + i) >> 1];
                        written[i] = Levels[((position + i) & 1) == 0 ? packed >> 4 : packed & 15] * scale;
                    }
                position += take;
                written += take;
            }
        }
    }

    /// <summary>The 64 weights of one block from its 32 bytes: codes in order (high nibble first), looked up, times the scale.</summary>
    private static void DequantizeBlock(byte* packed, float scale, float* target)
    {
        var bytes = Avx.LoadVector256(packed);
        var nibble = Vector256.Create((byte)15);
        var high = Avx2.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & nibble;
        var low = bytes & nibble;
        var scales = Vector256.Create(scale);
        for (var half = 0; half < 2; half++)
        {
            var h = half == 0 ? high.GetLower() : high.GetUpper();
            var l = half == 0 ? low.GetLower() : low.GetUpper();
            var codes = Sse2.UnpackLow(h, l);
            Avx.Store(target, Lookup(codes) * scales);
            Avx.Store(target + 8, Lookup(Sse2.ShiftRightLogical128BitLane(codes, 8)) * scales);
            codes = Sse2.UnpackHigh(h, l);
            Avx.Store(target + 16, Lookup(codes) * scales);
            Avx.Store(target + 24, Lookup(Sse2.ShiftRightLogical128BitLane(codes, 8)) * scales);
            target += 32;
        }
    }

    /// <summary>Levels of the 8 codes in the low bytes of <paramref name="codes"/>.</summary>
    private static Vector256<float> Lookup(Vector128<byte> codes)
    {
        var index = Avx2.ConvertToVector256Int32(codes);
        if (Avx512F.VL.IsSupported)
            return Avx512F.VL.PermuteVar8x32x2(LowLevels, index, HighLevels);
        // Levels 0-7 and 8-15 looked up separately; bit 3 of the code, shifted into the sign bit, picks between them.
        return Avx.BlendVariable(Avx2.PermuteVar8x32(LowLevels, index), Avx2.PermuteVar8x32(HighLevels, index), Avx2.ShiftLeftLogical(index, 28).AsSingle());
    }

    private static readonly Vector256<float> LowLevels = Vector256.Create(Levels.AsSpan(0, 8));
    private static readonly Vector256<float> HighLevels = Vector256.Create(Levels.AsSpan(8, 8));

    public void Dispose()
    {
        _packed.Dispose();
        _scales.Dispose();
    }
}
