using System.Globalization;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using static TorchSharp.torch;

namespace Peerz.Bench.Model;

/// <summary>
/// Prefill and batch-1 decode of every architecture at a ~1B-parameter shape (<see cref="ArchitectureShapes"/>), float32,
/// beside the machine's matmul and memory-bandwidth ceilings from the same run. A few blocks of each shape are timed and
/// the full model's rate follows from its depth (blocks run one after another, so a token's time scales with the block
/// count; the client's embeddings and head are not timed). Prefill's ceiling is the matmul rate over 2 FLOPs per weight
/// a token multiplies (attention scores over a 128-token prompt add under 3 % and are not counted); decode's is the read
/// bandwidth over the bytes of those weights, each read once per token.
/// Arguments: blocks timed per architecture (default 2), prompt length (default 128).
/// </summary>
public static class ArchitecturesBenchmark
{
    private const int DecodeSteps = 16, Rounds = 3;

    public static Task RunAsync(string[] args)
    {
        var blocks = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
        var promptLength = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 128;
        Console.WriteLine($"threads: {get_num_threads()}; {blocks} blocks timed per architecture, prompt {promptLength}, {DecodeSteps} decode steps, best of {Rounds} rounds; float32");
        var (matmulBefore, readBefore) = Ceilings();
        var timed = ArchitectureShapes.All(blocks).Select(shape => Measure(shape, blocks, promptLength)).ToList();
        // Again at the end: a cold first measurement (clock ramp-up, other load on the shared machine) reads low, and a
        // ceiling is the best the machine showed, so each fraction uses the larger of the two.
        var (matmulAfter, readAfter) = Ceilings();
        var (matmul, read) = (Math.Max(matmulBefore, matmulAfter), Math.Max(readBefore, readAfter));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ceilings: float32 matmul 2048×2048 {matmulBefore:F1} then {matmulAfter:F1} GFLOP/s; read bandwidth {readBefore:F1} then {readAfter:F1} GB/s (fractions use the larger)"));
        Console.WriteLine("| architecture | shape | parameters | active per token (blocks) | prefill tokens/s | × matmul ceiling | decode tokens/s | × bandwidth ceiling |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in timed) Console.WriteLine(row.Format(matmul, read));
        return Task.CompletedTask;
    }

    private static (double MatmulGflops, double ReadGBps) Ceilings() =>
        (MachineCeilings.MatmulGflops(2048), MachineCeilings.ReadBandwidth(1L << 28));

    private static ArchitectureTiming Measure(ArchitectureShape shape, int blocks, int promptLength)
    {
        var name = shape.Blocks.ModelType;
        using var checkpoint = Checkpoint.Open(BenchCheckpoint.Ensure($"{name}-1b-{blocks}", shape.Blocks));
        using var span = BlockSpan.Load(checkpoint, 0, blocks);
        if (span.WeightBytes != shape.ParametersPerBlock * blocks * sizeof(float))
            throw new InvalidOperationException($"{name}: the span holds {span.WeightBytes} bytes; the shape's parameter count gives {shape.ParametersPerBlock * blocks * sizeof(float)}");
        using var prompt = randn([1, promptLength, shape.Blocks.Hidden], generator: manual_seed(1));
        using var token = randn([1, 1, shape.Blocks.Hidden], generator: manual_seed(2));
        double prefill = double.MaxValue, decode = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var (p, d) = SessionTiming.Measure(span, prompt, token, DecodeSteps);
            (prefill, decode) = (Math.Min(prefill, p), Math.Min(decode, d));
        }
        // Rates of the whole depth: a token passes FullLayers blocks where the measurement passed `blocks`.
        var depth = (double)shape.FullLayers / blocks;
        var timing = new ArchitectureTiming(shape, PrefillRate: promptLength / (prefill * depth), DecodeRate: 1 / (decode * depth));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: prefill {timing.PrefillRate:F1} tokens/s, decode {timing.DecodeRate:F2} tokens/s"));
        return timing;
    }

    /// <summary>One architecture's full-depth rates, formatted beside the ceilings once both ceiling measurements are in.</summary>
    private sealed record ArchitectureTiming(ArchitectureShape Shape, double PrefillRate, double DecodeRate)
    {
        public string Format(double matmulGflops, double readGBps)
        {
            var activeParameters = Shape.ActiveParametersPerBlock * Shape.FullLayers;
            var prefillCeiling = matmulGflops * 1e9 / (2.0 * activeParameters);
            var decodeCeiling = readGBps * 1e9 / (activeParameters * sizeof(float));
            return string.Create(CultureInfo.InvariantCulture,
                $"| {Shape.Blocks.ModelType} | {Shape.Source}; {Shape.FullLayers} blocks, hidden {Shape.Blocks.Hidden} | {Shape.FullParameters / 1e9:F2} B | {activeParameters / 1e9:F2} B | {PrefillRate:F1} | {PrefillRate / prefillCeiling:P0} | {DecodeRate:F2} | {DecodeRate / decodeCeiling:P0} |");
        }
    }
}
