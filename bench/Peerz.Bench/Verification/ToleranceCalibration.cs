using System.Globalization;
using Peerz.Bench.Pipeline;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Tiny;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Testing;
using Peerz.Verifier.Verification;
using static TorchSharp.torch;

namespace Peerz.Bench.Verification;

/// <summary>
/// How far honest providers land from the verifier's float32 replay (docs/verification.md, "Tolerances"): inference
/// sessions served the ways an honest provider legitimately may — 1, 2 or 4 intra-op threads, the prompt at once or
/// one position per step, decode steps batched with 1, 4 or 16 sessions of different lengths, each output compression
/// on the wire — in every serving mode, replayed by <see cref="SpanRecomputer"/> and compared by
/// <see cref="Recomputed.DivergenceOf"/>, exactly as the verifier does. Per step: the relative L2 error, and the same
/// divided by the mode's unit roundoff (the statistic <see cref="VerificationTolerances"/> bounds). Arguments: model
/// shapes LAYERSxHIDDEN (random weights; default 8x512) and optionally <c>--mode NAME</c> to calibrate one serving mode.
/// Besides those, the tests' tiny model and the shipped default model (trained weights) are always measured.
/// </summary>
internal static class ToleranceCalibration
{
    private const int DecodeSteps = 12;

    public static Task RunAsync(string[] args)
    {
        var modeAt = Array.IndexOf(args, "--mode");
        var modes = modeAt < 0 ? Modes : Modes.Where(m => m.Name == args[modeAt + 1]).ToArray();
        if (modeAt >= 0) args = [.. args[..modeAt], .. args[(modeAt + 2)..]];
        var verifierThreads = get_num_threads();
        Console.WriteLine($"verifier threads: {verifierThreads}; {DecodeSteps} decode steps per session; inputs: unit-scale Gaussian hidden states");
        var tinyDirectory = Path.Combine(Path.GetTempPath(), "peerz-bench-tolerance-tiny");
        if (!File.Exists(Path.Combine(tinyDirectory, Checkpoint.SingleFile))) TinyModelGenerator.Write(tinyDirectory, TinyModelFixture.TestShape);
        var defaultDirectory = Path.Combine(Path.GetTempPath(), "peerz-bench-tolerance-default");
        TrainedTinyModel.WriteTo(defaultDirectory);
        var models = new List<(string Name, string Directory)> { ("tests' tiny 4×64", tinyDirectory), ("default model 8×128 (trained)", defaultDirectory) };
        foreach (var size in args.Length > 0 ? args : ["8x512"])
        {
            var parts = size.Split('x');
            var (layers, hidden) = (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
            models.Add(($"{layers}×{hidden}", PipelineModel.Ensure(layers, hidden).Directory));
        }
        Console.WriteLine("| model | mode | variation | steps | max | mean | p99 | max / u |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|");
        foreach (var (name, directory) in models)
        {
            using var checkpoint = Checkpoint.Open(directory);
            using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
            foreach (var mode in modes)
            {
                var worst = new List<double>();
                using var blocks = BlockSpan.Load(checkpoint, 0, checkpoint.Config.NumLayers, mode.Load);
                foreach (var variation in Variations(verifierThreads))
                {
                    List<double> divergences;
                    using (NewDisposeScope()) divergences = Divergences(recomputer, blocks, variation);
                    worst.AddRange(divergences);
                    Print(name, mode.Name, variation.Name, divergences, mode.UnitRoundoff);
                }
                Print(name, mode.Name, "**all**", worst, mode.UnitRoundoff);
            }
        }
        return Task.CompletedTask;
    }

    private static readonly (string Name, BlockLoadOptions Load, double UnitRoundoff)[] Modes =
    [
        ("float32", new BlockLoadOptions(), Math.Pow(2, -24)),
        ("bfloat16", new BlockLoadOptions { DType = ScalarType.BFloat16 }, Math.Pow(2, -8)),
        ("float16", new BlockLoadOptions { DType = ScalarType.Float16 }, Math.Pow(2, -11)),
        // Int8 rows round each weight to the nearest of 127 steps of the row's absmax: half a step is 1/254 of it.
        ("int8", new BlockLoadOptions { Quantization = WeightQuantization.Int8 }, 1.0 / 254),
        // NF4 rounds each weight to the nearest of 16 levels of its 64-weight block's absmax: at worst half the widest
        // gap between levels, (1 − 0.7230) / 2 of it.
        ("nf4", new BlockLoadOptions { Quantization = WeightQuantization.Nf4 }, (Nf4Weight.Levels[15] - Nf4Weight.Levels[14]) / 2.0),
    ];

    /// <summary>One way of serving: provider threads, prompt chunking, how many sessions share a decode batch, wire compression.</summary>
    private sealed record Variation(string Name, int Threads, bool PromptStepwise, int Sessions, bool Batched, TensorCompression Compression)
    {
        /// <summary>Prompt lengths of the sessions served together (different, so caches differ in length within a batch).</summary>
        public int[] PromptLengths => Enumerable.Range(0, Sessions).Select(i => 3 + 11 * i % 37).ToArray();
    }

    private static IEnumerable<Variation> Variations(int verifierThreads) =>
    [
        new("threads 1", 1, false, 1, false, TensorCompression.None),
        new("threads 2", 2, false, 1, false, TensorCompression.None),
        new("threads 4", 4, false, 1, false, TensorCompression.None),
        new("prompt one position per step", verifierThreads, true, 1, false, TensorCompression.None),
        new("batched path, 1 session", verifierThreads, false, 1, true, TensorCompression.None),
        new("batched, 4 sessions", verifierThreads, false, 4, true, TensorCompression.None),
        new("batched, 16 sessions", verifierThreads, false, 16, true, TensorCompression.None),
        new("wire float16", verifierThreads, false, 1, false, TensorCompression.Float16),
        new("wire blockwise int8", verifierThreads, false, 1, false, TensorCompression.BlockwiseInt8),
    ];

    /// <summary>
    /// Serves sessions with the given prompt lengths as the variation says (on its thread count, restored afterwards),
    /// then has the verifier replay each session at its own thread count and returns every step's divergence.
    /// </summary>
    private static List<double> Divergences(SpanRecomputer recomputer, BlockSpan blocks, Variation variation)
    {
        var hidden = blocks.Config.HiddenSize;
        var random = new Generator(17);
        var inputs = variation.PromptLengths.Select(length =>
            (variation.PromptStepwise ? Enumerable.Range(0, length).Select(_ => randn([1, 1, hidden], generator: random)) : [randn([1, length, hidden], generator: random)])
            .Concat(Enumerable.Range(0, DecodeSteps).Select(_ => randn([1, 1, hidden], generator: random))).ToList()).ToList();
        var outputs = inputs.Select(_ => new List<Tensor>()).ToList();
        // libtorch applies the count to the calling thread's OpenMP team (other threads keep theirs); serving and
        // replay both run on this thread, so the provider's steps get the variation's count and the replay the verifier's.
        var restore = get_num_threads();
        set_num_threads(variation.Threads);
        try
        {
            var budget = new KvCacheBudget(1L << 32);
            var sessions = inputs.Select(steps => blocks.OpenSession(1, steps.Sum(s => (int)s.shape[1]), budget)).ToList();
            try
            {
                for (var s = 0; s < sessions.Count; s++)
                    for (var i = 0; i < inputs[s].Count - DecodeSteps; i++)
                        outputs[s].Add(sessions[s].Step(inputs[s][i]));
                for (var i = 0; i < DecodeSteps; i++)
                {
                    var step = inputs.Select(steps => steps[^(DecodeSteps - i)]).ToList();
                    var decoded = variation.Batched ? BatchedDecode.Step(sessions, step) : [sessions[0].Step(step[0])];
                    for (var s = 0; s < sessions.Count; s++) outputs[s].Add(decoded[s]);
                }
            }
            finally
            {
                foreach (var session in sessions) session.Dispose();
            }
        }
        finally
        {
            set_num_threads(restore);
        }
        var divergences = new List<double>();
        for (var s = 0; s < inputs.Count; s++)
        {
            var position = 0L;
            var steps = inputs[s].Select((h, i) =>
            {
                var step = new InferenceStep { Step = (ulong)i, Position = (uint)position, Hidden = TensorCodec.Encode(h, TensorCompression.None) };
                position += h.shape[1];
                return step;
            }).ToList();
            var weights = SpanRecomputer.ReplayWeights(blocks.Options.Quantization.ToString().ToLowerInvariant());
            var expected = recomputer.Inference(0, blocks.End, steps, variation.Compression, weights);
            for (var i = 0; i < steps.Count; i++)
                divergences.Add(expected[i].DivergenceOf(TensorCodec.Decode(TensorCodec.Encode(outputs[s][i], variation.Compression), TensorLimits.Default)));
        }
        return divergences;
    }

    private static void Print(string model, string mode, string variation, List<double> divergences, double unitRoundoff)
    {
        var sorted = divergences.Order().ToList();
        var p99 = sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(0.99 * sorted.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {model} | {mode} | {variation} | {sorted.Count} | {sorted[^1]:0.0e0} | {sorted.Average():0.0e0} | {p99:0.0e0} | {sorted[^1] / unitRoundoff:F2} |"));
    }
}
