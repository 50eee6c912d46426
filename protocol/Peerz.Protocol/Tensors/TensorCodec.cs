using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Peerz.Model;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Protocol.Tensors;

/// <summary>
/// Tensors to and from the wire. Compression trades accuracy for bandwidth, as the whitepaper asks:
/// NONE keeps every bit; FLOAT16 halves float32; BLOCKWISE_INT8 quarters it, storing each block of
/// 64 values as one float32 absmax scale plus 64 signed bytes (error ≤ absmax/254 per value).
/// </summary>
public static class TensorCodec
{
    public const int QuantizationBlockSize = 64;

    public static SerializedTensor Encode(Tensor tensor, TensorCompression compression)
    {
        var dtype = ToWire(tensor.dtype);
        var message = new SerializedTensor { Dtype = dtype, Compression = compression };
        message.Shape.AddRange(tensor.shape);
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().cpu().contiguous();
        message.Data = compression switch
        {
            TensorCompression.None => UnsafeByteOperations.UnsafeWrap(cpu.bytes.ToArray()),
            TensorCompression.Float16 => UnsafeByteOperations.UnsafeWrap(cpu.to_type(ScalarType.Float16).bytes.ToArray()),
            TensorCompression.BlockwiseInt8 => UnsafeByteOperations.UnsafeWrap(QuantizeBlockwise(cpu.NumberOfElements == 0 ? [] : cpu.to_type(ScalarType.Float32).data<float>().ToArray())),
            _ => throw new ArgumentOutOfRangeException(nameof(compression), $"unknown compression {compression}"),
        };
        return message;
    }

    public static Tensor Decode(SerializedTensor message, TensorLimits limits)
    {
        var dtype = FromWire(message.Dtype);
        if (message.Shape.Count > limits.MaxRank)
            throw new TensorFormatException($"tensor rank {message.Shape.Count} exceeds {limits.MaxRank}");
        long elements = 1;
        foreach (var dim in message.Shape)
        {
            if (dim < 0) throw new TensorFormatException($"negative dimension {dim}");
            if (dim > 0 && elements > limits.MaxElements / dim)
                throw new TensorFormatException($"tensor of shape [{string.Join(", ", message.Shape)}] exceeds {limits.MaxElements} elements");
            elements *= dim;
        }
        if (elements > limits.MaxElements)
            throw new TensorFormatException($"tensor of {elements} elements exceeds {limits.MaxElements}");
        var shape = message.Shape.ToArray();
        var data = message.Data.Span;
        switch (message.Compression)
        {
            case TensorCompression.None:
                return FromBytes(data, shape, dtype, elements * ElementSize(dtype));
            case TensorCompression.Float16:
                return FromBytes(data, shape, ScalarType.Float16, elements * 2).MoveToDType(dtype);
            case TensorCompression.BlockwiseInt8:
                {
                    var blocks = (elements + QuantizationBlockSize - 1) / QuantizationBlockSize;
                    if (data.Length != blocks * 4 + elements)
                        throw new TensorFormatException($"blockwise int8 data is {data.Length} bytes; {elements} values need {blocks * 4 + elements}");
                    return tensor(DequantizeBlockwise(data, (int)elements), ScalarType.Float32).view(shape).MoveToDType(dtype);
                }
            default:
                throw new TensorFormatException($"unknown compression {(int)message.Compression}");
        }
    }

    /// <summary>Per block: scale = absmax / 127 (float32), then round(x / scale) as int8.</summary>
    public static byte[] QuantizeBlockwise(ReadOnlySpan<float> values)
    {
        var blocks = (values.Length + QuantizationBlockSize - 1) / QuantizationBlockSize;
        var output = new byte[blocks * 4 + values.Length];
        var quantized = MemoryMarshal.Cast<byte, sbyte>(output.AsSpan(blocks * 4));
        for (var block = 0; block < blocks; block++)
        {
            var start = block * QuantizationBlockSize;
            var chunk = values.Slice(start, Math.Min(QuantizationBlockSize, values.Length - start));
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

    public static float[] DequantizeBlockwise(ReadOnlySpan<byte> data, int count)
    {
        var blocks = (count + QuantizationBlockSize - 1) / QuantizationBlockSize;
        var quantized = MemoryMarshal.Cast<byte, sbyte>(data.Slice(blocks * 4, count));
        var values = new float[count];
        for (var block = 0; block < blocks; block++)
        {
            var scale = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(block * 4));
            if (!float.IsFinite(scale) || scale < 0) throw new TensorFormatException($"block {block} has an invalid scale {scale}");
            var end = Math.Min(count, (block + 1) * QuantizationBlockSize);
            for (var i = block * QuantizationBlockSize; i < end; i++) values[i] = quantized[i] * scale;
        }
        return values;
    }

    private static Tensor FromBytes(ReadOnlySpan<byte> data, long[] shape, ScalarType dtype, long expectedBytes)
    {
        if (data.Length != expectedBytes)
            throw new TensorFormatException($"tensor data is {data.Length} bytes; shape [{string.Join(", ", shape)}] of {dtype} needs {expectedBytes}");
        var result = empty(shape, dtype);
        data.CopyTo(result.bytes);
        return result;
    }

    private static int ElementSize(ScalarType dtype) => dtype == ScalarType.Float32 ? 4 : 2;

    public static TensorDType ToWire(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => TensorDType.Float32,
        ScalarType.Float16 => TensorDType.Float16,
        ScalarType.BFloat16 => TensorDType.Bfloat16,
        _ => throw new ArgumentException($"dtype {dtype} cannot be sent"),
    };

    public static ScalarType FromWire(TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => ScalarType.Float32,
        TensorDType.Float16 => ScalarType.Float16,
        TensorDType.Bfloat16 => ScalarType.BFloat16,
        _ => throw new TensorFormatException($"unknown tensor dtype {(int)dtype}"),
    };
}
