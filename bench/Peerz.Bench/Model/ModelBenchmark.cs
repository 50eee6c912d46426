using System.Diagnostics;
using Peerz.Model;
using Peerz.Model.Tiny;
using static TorchSharp.torch;

namespace Peerz.Bench.Model;

/// <summary>
/// Prefill and decode throughput of a ~0.8B-parameter Llama shape (hidden 2048, 16 blocks, 32 heads,
/// 8 kv heads, vocab 32000, float32), each beside ceilings measured in the same run: the machine's
/// float32 matmul rate (compute-bound prefill) and its memory copy bandwidth (weight-streaming decode).
/// </summary>
public static class ModelBenchmark
{
    public static Task RunAsync(string[] args)
    {
        var layers = args.Length > 0 ? int.Parse(args[0]) : 16;
        var promptLength = args.Length > 1 ? int.Parse(args[1]) : 128;
        const int decodeSteps = 16;
        var (directory, shape) = EnsureCheckpoint(layers);

        Console.WriteLine($"threads: {get_num_threads()}");
        var matmulGflops = MachineCeilings.MatmulGflops(1024);
        var copyGBps = MachineCeilings.CopyBandwidth(1L << 28);
        Console.WriteLine($"ceiling: float32 matmul 1024x1024 = {matmulGflops:F1} GFLOP/s; memory copy = {copyGBps:F1} GB/s (read+write)");

        var stopwatch = Stopwatch.StartNew();
        using var model = LocalModel.Load(directory, progress: new Progress<int>(n => Console.Error.Write($"\rloading blocks {n}/{layers}")));
        Console.Error.WriteLine();
        Console.WriteLine($"load: {stopwatch.Elapsed.TotalSeconds:F1} s, block weights {model.Blocks.WeightBytes / 1e9:F2} GB");
        var blockParams = model.Blocks.WeightBytes / 4.0;
        var flopsPerToken = 2 * blockParams;

        var prompt = Enumerable.Range(0, promptLength).Select(i => (i * 7919 + 13) % shape.Vocab).ToArray();
        double prefillSeconds = double.MaxValue, decodeSeconds = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            using var scope = NewDisposeScope();
            var (prefill, decode) = SessionTiming.Measure(model.Blocks, model.Head.EmbedSequence(prompt), model.Head.EmbedSequence([prompt[^1]]), decodeSteps);
            prefillSeconds = Math.Min(prefillSeconds, prefill);
            decodeSeconds = Math.Min(decodeSeconds, decode);
        }
        var prefillTokensPerSecond = promptLength / prefillSeconds;
        var prefillCeiling = matmulGflops * 1e9 / flopsPerToken;
        var decodeTokensPerSecond = 1 / decodeSeconds;
        // Decode reads every weight once per token: bandwidth / bytes is its ceiling (copy moves 2 bytes per byte).
        var decodeCeiling = copyGBps * 1e9 / 2 / model.Blocks.WeightBytes;
        Console.WriteLine($"prefill ({promptLength} tokens, best of 3): {prefillTokensPerSecond:F1} tokens/s; matmul ceiling {prefillCeiling:F1} tokens/s; achieved/ceiling {prefillTokensPerSecond / prefillCeiling:P0}");
        Console.WriteLine($"decode (batch 1, best of 3 x {decodeSteps}): {decodeTokensPerSecond:F2} tokens/s; bandwidth ceiling {decodeCeiling:F2} tokens/s; achieved/ceiling {decodeTokensPerSecond / decodeCeiling:P0}");
        return Task.CompletedTask;
    }

    /// <summary>The benchmark's Llama shape with <paramref name="layers"/> blocks, generated once into the temp directory.</summary>
    internal static (string Directory, TinyModelOptions Shape) EnsureCheckpoint(int layers)
    {
        var shape = new TinyModelOptions { Seed = 1, Layers = layers, Hidden = 2048, Heads = 32, KvHeads = 8, Vocab = 32000, Intermediate = 5632, MaxPositions = 4096 };
        return (BenchCheckpoint.Ensure($"llama-{layers}", shape), shape);
    }
}
