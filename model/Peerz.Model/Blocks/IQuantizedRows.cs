namespace Peerz.Model.Blocks;

/// <summary>
/// A weight matrix held in a packed form that can write any of its rows out as float32, so that a matmul needs only a few
/// rows in float32 at a time (<see cref="QuantizedMatmul"/>) instead of a float32 copy of the whole matrix.
/// </summary>
public interface IQuantizedRows
{
    /// <summary>Output features (rows of the weight matrix).</summary>
    int Rows { get; }

    /// <summary>Input features (columns of the weight matrix).</summary>
    int Columns { get; }

    /// <summary>
    /// Writes rows <paramref name="firstRow"/> … <paramref name="firstRow"/> + <paramref name="rowCount"/> − 1 in row-major
    /// order into <paramref name="destination"/> (at least rowCount × <see cref="Columns"/> floats). Safe to call from
    /// several threads at once for different rows.
    /// </summary>
    void DequantizeRows(int firstRow, int rowCount, Span<float> destination);
}
