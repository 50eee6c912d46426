using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// A weight matrix in 4-bit NormalFloat (NF4, QLoRA: Dettmers et al. 2023): the flattened weights are cut into blocks
/// of <see cref="BlockSize"/>, each block is divided by its absmax and every value is replaced by the nearest of the
/// 16 <see cref="Levels"/>, two 4-bit codes per byte. The block scales are themselves stored in 8 bits
/// (<see cref="QuantizedScales"/>, QLoRA's double quantization). Only this packed form is kept; <see cref="Dequantize"/>
/// rebuilds the matrix for each call.
/// </summary>
public sealed class Nf4Weight : IDisposable
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
    private readonly QuantizedScales _scales;
    private readonly long[] _shape;

    private Nf4Weight(Tensor packed, QuantizedScales scales, long[] shape)
    {
        _packed = packed.DetachFromDisposeScope();
        _scales = scales;
        _shape = shape;
    }

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
        using var scope = NewDisposeScope();
        // One gather per byte: row b of the pair table holds the levels of b's high and low nibble.
        var values = PairTable(dtype).index_select(0, _packed.to_type(ScalarType.Int32)).view(-1, BlockSize);
        var weights = (values * _scales.Dequantize().to_type(dtype).unsqueeze(1)).flatten();
        var count = _shape.Aggregate(1L, (a, b) => a * b);
        return weights.narrow(0, 0, count).view(_shape).MoveToOuterDisposeScope();
    }

    private static readonly Tensor PairTableFloat32 = BuildPairTable();

    private static Tensor PairTable(ScalarType dtype) => dtype == ScalarType.Float32 ? PairTableFloat32 : PairTableFloat32.to_type(dtype);

    private static Tensor BuildPairTable()
    {
        var pairs = new float[256 * 2];
        for (var b = 0; b < 256; b++)
        {
            pairs[2 * b] = Levels[b >> 4];
            pairs[2 * b + 1] = Levels[b & 15];
        }
        return tensor(pairs).view(256, 2).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        _packed.Dispose();
        _scales.Dispose();
    }
}
