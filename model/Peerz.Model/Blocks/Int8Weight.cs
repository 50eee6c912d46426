using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// Int8 codes of a weight matrix, one per weight; the per-row scale (<see cref="Projection.QuantizeRows"/>) is applied to
/// the matmul's output by the caller, so a row dequantizes to its codes as floats, exactly.
/// </summary>
public sealed unsafe class Int8Weight : IQuantizedRows, IDisposable
{
    private readonly Tensor _codes;
    private readonly sbyte* _data;

    /// <param name="codes">int8 [rows, columns], contiguous; owned from now on.</param>
    public Int8Weight(Tensor codes)
    {
        if (codes.dtype != ScalarType.Int8 || codes.dim() != 2 || !codes.is_contiguous())
            throw new ArgumentException($"int8 weights must be a contiguous int8 matrix, not {codes.dtype} of shape [{string.Join(", ", codes.shape)}]", nameof(codes));
        _codes = codes.DetachFromDisposeScope();
        Rows = checked((int)_codes.shape[0]);
        Columns = checked((int)_codes.shape[1]);
        // CPU tensors' storage is native memory that stays in place for the tensor's lifetime.
        fixed (byte* data = _codes.bytes) _data = (sbyte*)data;
    }

    public int Rows { get; }

    public int Columns { get; }

    public long Bytes => _codes.NumberOfElements;

    public void DequantizeRows(int firstRow, int rowCount, Span<float> destination)
    {
        var count = checked(rowCount * Columns);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + rowCount, Rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, count);
        var source = _data + (long)firstRow * Columns;
        var i = 0;
        fixed (float* target = destination)
        {
            if (Avx2.IsSupported)
                for (; i + 8 <= count; i += 8)
                    Avx.Store(target + i, Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(source + i)));
            for (; i < count; i++) target[i] = source[i];
        }
    }

    public void Dispose() => _codes.Dispose();
}
