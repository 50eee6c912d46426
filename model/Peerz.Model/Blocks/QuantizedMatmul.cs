using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// x · Wᵀ for a weight matrix kept packed (<see cref="IQuantizedRows"/>), without a float32 copy of the whole matrix.
/// Decode (a few float32 rows of x) runs a C# kernel that dequantizes a tile of weight rows into a small per-thread
/// buffer and takes its dot products with every row of x while the tile is in cache, so every weight is read once in its
/// packed form; this is what makes batch-1 decode bound by the packed bytes rather than by dequantizing. Larger inputs
/// (prefill) dequantize a bounded chunk of rows at a time into one scratch tensor and hand it to torch's matmul, whose
/// cost then dominates the dequantization. An input that requires a gradient (a backward pass) takes neither shortcut:
/// the kernel's output has no autograd graph, and autograd keeps each chunk for the backward pass, so every chunk is a
/// tensor of its own there (the whole dequantized matrix lives until the backward pass is done).
/// </summary>
public static class QuantizedMatmul
{
    /// <summary>Up to this many rows of x take the dot-product kernel; beyond, chunks of dequantized rows go to torch.</summary>
    public const int KernelMaxInputRows = 8;

    /// <summary>Floats of dequantized weights per tile of the kernel (64 KiB: in L2 beside x).</summary>
    private const int TileFloats = 16 * 1024;

    /// <summary>Floats of the prefill path's scratch chunk (4 MiB).</summary>
    private const int ChunkFloats = 1024 * 1024;

    /// <param name="input">[..., Columns] in the compute dtype.</param>
    /// <returns>[..., Rows]: input · Wᵀ with W as <paramref name="weight"/> dequantizes it.</returns>
    public static Tensor Linear(Tensor input, IQuantizedRows weight)
    {
        if (input.shape[^1] != weight.Columns)
            throw new ArgumentException($"input has {input.shape[^1]} features; the weight expects {weight.Columns}", nameof(input));
        using var scope = NewDisposeScope();
        var flat = input.reshape(-1, weight.Columns).contiguous();
        var output = flat.requires_grad ? ChunkedMatmul(flat, weight, reuseChunk: false)
            : flat.shape[0] <= KernelMaxInputRows && flat.dtype == ScalarType.Float32 ? DotProducts(flat, weight)
            : ChunkedMatmul(flat, weight, reuseChunk: true);
        long[] shape = [.. input.shape[..^1], weight.Rows];
        return output.view(shape).MoveToOuterDisposeScope();
    }

    private static unsafe Tensor DotProducts(Tensor input, IQuantizedRows weight)
    {
        var (inputs, rows, columns) = ((int)input.shape[0], weight.Rows, weight.Columns);
        var output = empty(inputs, rows);
        var tileRows = Math.Clamp(TileFloats / Math.Max(columns, 1), 1, Math.Max(rows, 1));
        var tiles = (rows + tileRows - 1) / tileRows;
        fixed (byte* x = input.bytes, y = output.bytes)
        {
            var (xs, ys) = ((nint)x, (nint)y);
            Parallel.For(0, tiles, () => ArrayPool<float>.Shared.Rent(tileRows * columns), (tile, _, buffer) =>
            {
                var first = tile * tileRows;
                var count = Math.Min(tileRows, rows - first);
                weight.DequantizeRows(first, count, buffer);
                for (var r = 0; r < count; r++)
                {
                    var w = buffer.AsSpan(r * columns, columns);
                    for (var m = 0; m < inputs; m++)
                        ((float*)ys)[(long)m * rows + first + r] = Dot(new ReadOnlySpan<float>((float*)xs + (long)m * columns, columns), w);
                }
                return buffer;
            }, buffer => ArrayPool<float>.Shared.Return(buffer));
        }
        return output;
    }

    /// <param name="reuseChunk">
    /// One scratch chunk for all (inference). Not when autograd records the product: it keeps each chunk for the gradient,
    /// and the raw writes of the next chunk would change what it kept without its knowing.
    /// </param>
    private static Tensor ChunkedMatmul(Tensor input, IQuantizedRows weight, bool reuseChunk)
    {
        var (rows, columns) = (weight.Rows, weight.Columns);
        var chunkRows = Math.Clamp(ChunkFloats / Math.Max(columns, 1), 1, Math.Max(rows, 1));
        using var scratch = reuseChunk ? empty(chunkRows, columns) : null;
        var parts = new List<Tensor>();
        for (var first = 0; first < rows; first += chunkRows)
        {
            var count = Math.Min(chunkRows, rows - first);
            var chunk = scratch ?? empty(count, columns);
            DequantizeInParallel(weight, first, count, chunk);
            var rowsOfChunk = chunk.narrow(0, 0, count);
            parts.Add(mm(input, (input.dtype == ScalarType.Float32 ? rowsOfChunk : rowsOfChunk.to_type(input.dtype)).t()));
        }
        return parts.Count == 1 ? parts[0] : cat(parts, 1);
    }

    /// <summary>Rows first … first + count − 1 into the start of <paramref name="chunk"/>, split between threads.</summary>
    private static unsafe void DequantizeInParallel(IQuantizedRows weight, int first, int count, Tensor chunk)
    {
        var columns = weight.Columns;
        var tileRows = Math.Clamp(TileFloats / Math.Max(columns, 1), 1, count);
        fixed (byte* target = chunk.bytes)
        {
            var floats = (nint)target;
            Parallel.For(0, (count + tileRows - 1) / tileRows, tile =>
            {
                var rows = Math.Min(tileRows, count - tile * tileRows);
                weight.DequantizeRows(first + tile * tileRows, rows, new Span<float>((float*)floats + (long)tile * tileRows * columns, rows * columns));
            });
        }
    }

    /// <summary>Σ a[i]·b[i] in float32, eight lanes and four accumulators at a time.</summary>
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var i = 0;
        var sum = 0f;
        if (Vector256.IsHardwareAccelerated && a.Length >= 32)
        {
            ref var x = ref MemoryMarshal.GetReference(a);
            ref var y = ref MemoryMarshal.GetReference(b);
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (; i + 32 <= a.Length; i += 32)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i + 8), Vector256.LoadUnsafe(ref y, (nuint)i + 8), s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i + 16), Vector256.LoadUnsafe(ref y, (nuint)i + 16), s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i + 24), Vector256.LoadUnsafe(ref y, (nuint)i + 24), s3);
            }
            sum = Vector256.Sum(s0 + s1 + (s2 + s3));
        }
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
