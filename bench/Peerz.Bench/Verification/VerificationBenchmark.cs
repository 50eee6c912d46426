using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Tiny;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Verification;
using static TorchSharp.torch;

namespace Peerz.Bench.Verification;

/// <summary>
/// Verification overhead: what the verifier spends recomputing what it checks, over what the provider spent serving.
/// A provider serves an inference session (a prefill, then decode steps, with its KV cache); the verifier's cost to
/// check step k is replaying the session up to k (SpanRecomputer, one causal forward). Compared: checking receipts
/// sampled one by one (the old policy) and the default session policy (a session of m steps checked through its last
/// receipt with probability q(m) = min(1, p (1 + f m))), per session length and over a stated traffic mix, with the
/// catch probability the policy predicts.
/// </summary>
internal static class VerificationBenchmark
{
    private const int Rounds = 5;
    private const double Responses = 10_000;
    /// <summary>Sessions of a prefill then m − 1 decode steps; m = 1 is a prefill-only session or a forward request.</summary>
    private static readonly int[] Lengths = [1, 8, 32, 97];
    /// <summary>The traffic mix, as shares of sessions: many single-step requests, fewer long chats.</summary>
    private static readonly (int Steps, double Share)[] Mix = [(1, 0.4), (8, 0.3), (32, 0.2), (97, 0.1)];

    public static Task RunAsync(string[] args)
    {
        var rate = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 0.05;
        var cheatRate = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 0.01;
        var sampling = new SamplingDecision(RandomNumberGenerator.GetBytes(32), rate, cheatRate);
        var (prompt, decode) = (32, Lengths[^1] - 1);
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

            // Each round serves the session (the provider: each step's time; a session of m steps costs the first m
            // of them, since a step's time does not depend on later steps), then replays it up to every 8th step and
            // the session lengths above (the verifier: checking step k replays steps 0..k). Both sides run on one torch
            // thread and are timed in CPU time, the least of the rounds: on a shared machine wall time mostly measures the
            // other jobs, while the compute each side needs is what the ratio is about.
            var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
            set_num_threads(1);
            var measured = Enumerable.Range(0, steps.Count).Where(k => k % 8 == 0 || Lengths.Contains(k + 1)).ToList();
            ServeSession(blocks, inputs); // warm-up
            Replay(recomputer, shape.Layers, steps.Take(2).ToList());
            var serving = new List<double[]>();
            var replays = measured.ToDictionary(k => k, _ => new List<double>());
            for (var round = 0; round < Rounds; round++)
            {
                serving.Add(ServeSession(blocks, inputs));
                foreach (var k in measured) replays[k].Add(Replay(recomputer, shape.Layers, steps.Take(k + 1).ToList()));
            }
            var stepSeconds = Enumerable.Range(0, steps.Count).Select(k => serving.Min(r => r[k])).ToArray();
            double Provider(int m) => stepSeconds.Take(m).Sum();
            var checkSeconds = new double[steps.Count];
            foreach (var k in measured) checkSeconds[k] = replays[k].Min();
            for (var k = 0; k < steps.Count; k++)
            {
                if (measured.Contains(k)) continue;
                var (lo, hi) = (measured.Last(m => m < k), measured.First(m => m > k));
                checkSeconds[k] = checkSeconds[lo] + (checkSeconds[hi] - checkSeconds[lo]) * (k - lo) / (hi - lo);
            }
            double ReplayOf(int m) => checkSeconds[m - 1];

            var providerTotal = Provider(steps.Count);
            var verifierAll = checkSeconds.Sum();
            var verifierAtRate = rate * verifierAll;
            Console.WriteLine($"model: {shape.Layers} blocks, hidden {shape.Hidden}; sessions: prefill {prompt} then decode steps; p = {rate:G3}, f = {cheatRate:G3}; CPU time on one torch thread, least of {Rounds} rounds");
            Console.WriteLine($"load average (/proc/loadavg): {loadBefore} before, {File.ReadAllText("/proc/loadavg").Trim()} after");
            Console.WriteLine($"provider: serving the {steps.Count}-step session      {providerTotal * 1000,9:F1} ms ({stepSeconds[0] * 1000:F1} ms prefill, {stepSeconds.Skip(1).Average() * 1000:F2} ms per decode step)");
            Console.WriteLine($"old policy, every receipt checked            {verifierAll * 1000,9:F1} ms = {verifierAll / providerTotal:F2}x the provider's compute");
            Console.WriteLine($"old policy, receipts sampled at {rate:G3}        {verifierAtRate * 1000,9:F1} ms = {verifierAtRate / providerTotal:F3}x the provider's compute");
            Console.WriteLine();
            Console.WriteLine("default policy, per session length m: q(m) = min(1, p (1 + f m)); cost = q(m) x replay(m) / provider(m)");
            Console.WriteLine("    m   provider ms   replay ms   r(m)=replay/provider    q(m)    verifier/provider");
            foreach (var m in Lengths)
            {
                var (provider, replay, q) = (Provider(m), ReplayOf(m), sampling.Threshold(m));
                Console.WriteLine($"{m,5} {provider * 1000,13:F1} {replay * 1000,11:F1} {replay / provider,18:F3} {q,11:F4} {q * replay / provider,16:P2}");
            }
            var mixProvider = Mix.Sum(s => s.Share * Provider(s.Steps));
            var mixVerifier = Mix.Sum(s => s.Share * sampling.Threshold(s.Steps) * ReplayOf(s.Steps));
            var meanSteps = Mix.Sum(s => s.Share * s.Steps);
            Console.WriteLine($"traffic mix (share of sessions) {string.Join(", ", Mix.Select(s => $"m={s.Steps}: {s.Share:P0}"))} (mean {meanSteps:F1} steps): verifier/provider = {mixVerifier / mixProvider:P2}");
            Console.WriteLine();
            Console.WriteLine($"predicted catch probability within {Responses:N0} responses, provider cheating on f = {cheatRate:P0} of them:");
            Console.WriteLine($"  floor for any session lengths 1 - e^(-p f N)          {CatchProbability.Floor(rate, cheatRate, Responses):P2}");
            foreach (var m in Lengths)
                Console.WriteLine($"  all sessions of {m,3} steps: independent {CatchProbability.Independent([(m, 1)], k => sampling.Threshold(k), cheatRate, Responses),8:P2}, whole sessions cheated {CatchProbability.Clustered([(m, 1)], k => sampling.Threshold(k), cheatRate, Responses),8:P2}");
            Console.WriteLine($"  the traffic mix:           independent {CatchProbability.Independent(Mix, k => sampling.Threshold(k), cheatRate, Responses),8:P2}, whole sessions cheated {CatchProbability.Clustered(Mix, k => sampling.Threshold(k), cheatRate, Responses),8:P2}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        return Task.CompletedTask;
    }

    private static double Replay(SpanRecomputer recomputer, int layers, IReadOnlyList<InferenceStep> steps)
    {
        using var scope = NewDisposeScope();
        var before = CpuSeconds();
        recomputer.Inference(0, layers, steps.ToList(), TensorCompression.None);
        return CpuSeconds() - before;
    }

    /// <summary>This process's CPU time (all threads): what the work cost, however long other jobs kept it waiting.</summary>
    private static double CpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static double[] ServeSession(BlockSpan blocks, IReadOnlyList<Tensor> inputs)
    {
        var seconds = new double[inputs.Count];
        using var session = blocks.OpenSession(1, inputs.Sum(i => (int)i.shape[1]), new KvCacheBudget(1L << 30));
        for (var i = 0; i < inputs.Count; i++)
        {
            using var scope = NewDisposeScope();
            var before = CpuSeconds();
            session.Step(inputs[i]);
            seconds[i] = CpuSeconds() - before;
        }
        return seconds;
    }
}
