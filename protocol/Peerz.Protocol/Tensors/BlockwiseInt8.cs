using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Peerz.Protocol.Tensors;

/// <summary>
/// The BLOCKWISE_INT8 tensor compression on plain arrays (no TorchSharp): each block of <see cref="BlockSize"/> values
/// becomes one float32 absmax scale plus that many signed bytes (error ≤ absmax/254 per value).
/// </summary>
public static class BlockwiseInt8
{
    public const int BlockSize = 64;

    /// <summary>Per block: scale = absmax / 127 (float32), then round(x / scale) as int8.</summary>
    public static byte[] Quantize(ReadOnlySpan<float> values)
    {
        var blocks = (values.Length + BlockSize - 1) / BlockSize;
        var output = new byte[blocks * 4 + values.Length];
        var quantized = MemoryMarshal.Cast<byte, sbyte>(output.AsSpan(blocks * 4));
        for (var block = 0; block < blocks; block++)
        {
            var start = block * BlockSize;
            var chunk = values.Slice(start, Math.Min(BlockSize, values.Length - start));
            float absMax = 0;
            foreach (var value in chunk)
            {
                if (!float.IsFinite(value)) throw new ArgumentException("cannot quantize non-finite values");
                absMax = Math.Max(absMax, Math.Abs(value));
            }
            var scale = absMax / 127f;
            BinaryPrimitives.WriteSingleLittleEndian(output.AsSpan(block * 4), scale);
            for (var i = 0; i < chunk.Length; i++)
                quantized[start + i] = scale == 0 ? (sbyte)0 : (sbyte)Math.Clamp(MathF.Round(chunk[i] / scale), -127, 127);
        }
        return output;
    }

    public static float[] Dequantize(ReadOnlySpan<byte> data, int count)
    {
        var blocks = (count + BlockSize - 1) / BlockSize;
        var quantized = MemoryMarshal.Cast<byte, sbyte>(data.Slice(blocks * 4, count));
        var values = new float[count];
        for (var block = 0; block < blocks; block++)
        {
            var scale = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(block * 4));
            if (!float.IsFinite(scale) || scale < 0) throw new TensorFormatException($"block {block} has an invalid scale {scale}");
            var end = Math.Min(count, (block + 1) * BlockSize);
            for (var i = block * BlockSize; i < end; i++) values[i] = quantized[i] * scale;
        }
        return values;
    }
}
