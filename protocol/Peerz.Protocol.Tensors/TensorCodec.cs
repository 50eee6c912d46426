using Google.Protobuf;
using Peerz.Model;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Protocol.Tensors;

/// <summary>
/// TorchSharp tensors to and from the wire. Compression trades accuracy for bandwidth, as the whitepaper asks:
/// NONE keeps every bit; FLOAT16 halves float32; BLOCKWISE_INT8 quarters it (<see cref="BlockwiseInt8"/>).
/// It lives apart from Peerz.Protocol so that processes which never run a model do not load libtorch.
/// </summary>
public static class TensorCodec
{
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
            TensorCompression.BlockwiseInt8 => UnsafeByteOperations.UnsafeWrap(BlockwiseInt8.Quantize(cpu.NumberOfElements == 0 ? [] : cpu.to_type(ScalarType.Float32).data<float>().ToArray())),
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
                    var blocks = (elements + BlockwiseInt8.BlockSize - 1) / BlockwiseInt8.BlockSize;
                    if (data.Length != blocks * 4 + elements)
                        throw new TensorFormatException($"blockwise int8 data is {data.Length} bytes; {elements} values need {blocks * 4 + elements}");
                    return tensor(BlockwiseInt8.Dequantize(data, (int)elements), ScalarType.Float32).view(shape).MoveToDType(dtype);
                }
            default:
                throw new TensorFormatException($"unknown compression {(int)message.Compression}");
        }
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
