using System.Diagnostics;
using static TorchSharp.torch;

namespace Peerz.Bench.Model;

/// <summary>
/// What this machine can do at best, measured with torch in the benchmark's own process: the float32 matmul rate
/// (prefill is compute-bound) and memory bandwidth (batch-1 decode streams every weight once per token). Best of several
/// repetitions: the ceiling is what the machine reaches when the shared cores are free.
/// </summary>
internal static class MachineCeilings
{
    /// <summary>GFLOP/s of an n×n by n×n float32 matmul (2n³ FLOPs).</summary>
    public static double MatmulGflops(int n)
    {
        using var a = randn(n, n);
        using var b = randn(n, n);
        return 2.0 * n * n * n / Best(10, () => mm(a, b).Dispose()) / 1e9;
    }

    /// <summary>GB/s moved by copying <paramref name="elements"/> floats (read and write both counted).</summary>
    public static double CopyBandwidth(long elements)
    {
        using var source = ones(elements);
        using var target = empty(elements);
        return 2.0 * elements * 4 / Best(5, () => target.copy_(source)) / 1e9;
    }

    /// <summary>GB/s read by summing <paramref name="elements"/> floats: how fast weights can be streamed.</summary>
    public static double ReadBandwidth(long elements)
    {
        using var source = ones(elements);
        return elements * 4.0 / Best(5, () => source.sum().Dispose()) / 1e9;
    }

    /// <summary>The fastest of <paramref name="repetitions"/> timed runs after one untimed warm-up, in seconds.</summary>
    private static double Best(int repetitions, Action run)
    {
        run();
        var best = double.MaxValue;
        for (var i = 0; i < repetitions; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            run();
            best = Math.Min(best, stopwatch.Elapsed.TotalSeconds);
        }
        return best;
    }
}
