using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// The experts a span's mixture-of-experts blocks routed each token of one pass to, as plain data (it outlives the pass's
/// tensors and crosses the wire): <see cref="Experts"/> holds blocks × batch × positions × per-token indices, in that
/// order (block-major, then row, then position, then the token's k choices).
/// </summary>
public sealed record RoutedExperts(int Blocks, int Batch, int Positions, int PerToken, int[] Experts)
{
    /// <summary>The routing recorded per block ([batch, positions, k] each), or null when no block was recorded.</summary>
    public static RoutedExperts? From(IReadOnlyList<Tensor> perBlock)
    {
        ArgumentNullException.ThrowIfNull(perBlock);
        if (perBlock.Count == 0) return null;
        var shape = perBlock[0].shape;
        if (shape.Length != 3 || perBlock.Any(b => !b.shape.SequenceEqual(shape)))
            throw new ArgumentException("expert choices are [batch, positions, k] per block, the same for every block");
        using var all = stack(perBlock.Select(b => b.to_type(ScalarType.Int32)).ToArray());
        return new(perBlock.Count, (int)shape[0], (int)shape[1], (int)shape[2], all.contiguous().data<int>().ToArray());
    }

    /// <summary>One [batch, positions, k] int64 tensor per block (what <see cref="ExpertRouting.Follow"/> takes).</summary>
    public IReadOnlyList<Tensor> ToTensors()
    {
        using var all = tensor(Experts, [Blocks, Batch, Positions, PerToken]).to_type(ScalarType.Int64);
        return Enumerable.Range(0, Blocks).Select(b => all[b].clone()).ToList();
    }

    /// <summary>Rows [<paramref name="row"/>, +<paramref name="count"/>) of every block (a session's share of a batched pass).</summary>
    public RoutedExperts Rows(int row, int count) => Slice(row, count, 0, Positions);

    /// <summary>Positions [<paramref name="from"/>, +<paramref name="count"/>) of every row and block (one step's share of a replayed pass).</summary>
    public RoutedExperts PositionRange(int from, int count) => Slice(0, Batch, from, count);

    private RoutedExperts Slice(int row, int rows, int from, int positions)
    {
        if (row < 0 || rows < 0 || row + rows > Batch || from < 0 || positions < 0 || from + positions > Positions)
            throw new ArgumentOutOfRangeException(nameof(row), $"rows [{row}, +{rows}) and positions [{from}, +{positions}) are not within [{Batch}, {Positions}]");
        var experts = new int[Blocks * rows * positions * PerToken];
        var at = 0;
        for (var b = 0; b < Blocks; b++)
        {
            for (var r = row; r < row + rows; r++)
            {
                var start = (((((long)b * Batch) + r) * Positions) + from) * PerToken;
                Array.Copy(Experts, start, experts, at, positions * PerToken);
                at += positions * PerToken;
            }
        }
        return new(Blocks, rows, positions, PerToken, experts);
    }
}
