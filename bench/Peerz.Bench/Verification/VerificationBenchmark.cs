using System.Diagnostics;
using System.Globalization;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Tiny;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Verifier.Verification;
using static TorchSharp.torch;

namespace Peerz.Bench.Verification;

/// <summary>
/// Verification overhead: what the verifier spends recomputing sampled receipts, over what the provider spent
/// serving, at a sampling rate. A provider runs an inference session (prefill then decode, KV cache); the
/// verifier's cost to check step k is replaying the session up to k (SpanRecomputer, one causal forward).
/// </summary>
internal static class VerificationBenchmark
{
    public static Task RunAsync(string[] args)
    {
        var rate = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 0.05;
        var (prompt, decode) = (32, 96);
        var directory = Path.Combine(Path.GetTempPath(), $"peerz-bench-verify-{Guid.NewGuid():N}");
        var shape = new TinyModelOptions { Seed = 1, Layers = 8, Hidden = 512, Heads = 8, KvHeads = 4, Vocab = 1024, MaxPositions = 512 };
        TinyModelGenerator.Write(directory, shape);
        try
        {
            using var checkpoint = Checkpoint.Open(directory);
            using var blocks = BlockSpan.Load(checkpoint, 0, shape.Layers);
            using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
            manual_seed(5);
            var inputs = new List<Tensor> { randn(1, prompt, shape.Hidden) };
            for (var i = 0; i < decode; i++) inputs.Add(randn(1, 1, shape.Hidden));
            var steps = inputs.Select((hidden, i) => new InferenceStep { Step = (ulong)i, Position = (uint)inputs.Take(i).Sum(h => h.shape[1]), Hidden = TensorCodec.Encode(hidden, TensorCompression.None) }).ToList();

            ServeSession(blocks, inputs); // warm-up
            var stepSeconds = ServeSession(blocks, inputs);
            var providerTotal = stepSeconds.Sum();

            // Checking step k replays steps 0..k: time it for every 8th step (and the last) and interpolate.
            var checkSeconds = new double[steps.Count];
            var measured = Enumerable.Range(0, steps.Count).Where(k => k % 8 == 0 || k == steps.Count - 1).ToList();
            recomputer.Inference(0, shape.Layers, steps.Take(2).ToList(), TensorCompression.None); // warm-up
            foreach (var k in measured)
            {
                using var scope = NewDisposeScope();
                var stopwatch = Stopwatch.StartNew();
                recomputer.Inference(0, shape.Layers, steps.Take(k + 1).ToList(), TensorCompression.None);
                checkSeconds[k] = stopwatch.Elapsed.TotalSeconds;
            }
            for (var k = 0; k < steps.Count; k++)
            {
                if (measured.Contains(k)) continue;
                var (lo, hi) = (measured.Last(m => m < k), measured.First(m => m > k));
                checkSeconds[k] = checkSeconds[lo] + (checkSeconds[hi] - checkSeconds[lo]) * (k - lo) / (hi - lo);
            }
            var verifierAtRate = rate * checkSeconds.Sum();
            var verifierAll = checkSeconds.Sum();

            Console.WriteLine($"model: {shape.Layers} blocks, hidden {shape.Hidden}; session: prefill {prompt} + {decode} decode steps ({steps.Count} receipts)");
            Console.WriteLine($"provider: serving the session               {providerTotal * 1000,9:F1} ms ({stepSeconds[0] * 1000:F1} ms prefill, {stepSeconds.Skip(1).Average() * 1000:F2} ms per decode step)");
            Console.WriteLine($"verifier: check one receipt, mean           {checkSeconds.Average() * 1000,9:F1} ms (replay of the session up to it)");
            Console.WriteLine($"verifier: every receipt checked (rate 1)    {verifierAll * 1000,9:F1} ms = {verifierAll / providerTotal:F2}x the provider's compute");
            Console.WriteLine($"verifier: at sampling rate {rate:G3}            {verifierAtRate * 1000,9:F1} ms = {verifierAtRate / providerTotal:F3}x the provider's compute");
            // Checking a session's last receipt compares every step, so sampling sessions at the same rate gives
            // each response the same chance of being checked for one replay per sampled session.
            var perSession = rate * checkSeconds[^1];
            Console.WriteLine($"verifier: sessions sampled at {rate:G3} (last receipt) {perSession * 1000,6:F1} ms = {perSession / providerTotal:F3}x the provider's compute");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        return Task.CompletedTask;
    }

    private static double[] ServeSession(BlockSpan blocks, IReadOnlyList<Tensor> inputs)
    {
        var seconds = new double[inputs.Count];
        using var session = blocks.OpenSession(1, inputs.Sum(i => (int)i.shape[1]), new KvCacheBudget(1L << 30));
        for (var i = 0; i < inputs.Count; i++)
        {
            using var scope = NewDisposeScope();
            var stopwatch = Stopwatch.StartNew();
            session.Step(inputs[i]);
            seconds[i] = stopwatch.Elapsed.TotalSeconds;
        }
        return seconds;
    }
}
