using System.Diagnostics;
using System.Globalization;
using Peerz.Bench.Pipeline;
using Peerz.Model;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Node.Serving;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Bench.Serving;

/// <summary>
/// Provider throughput (decode tokens/s summed over sessions) at 1, 4 and 16 concurrent sessions, with decode steps
/// batched across sessions and without, in the same run, on the pipeline benchmark's model and one provider's span of it
/// (a third of the blocks). Steps go through <see cref="ServedSpan.StepAsync{T}"/>, the call the inference protocol makes
/// (rollback, compute lane, batching, output encoding), so the figures are the provider's compute path without the network.
/// </summary>
public static class BatchingBenchmark
{
    private static readonly int[] SessionCounts = [1, 4, 16];

    public static async Task RunAsync(string[] args)
    {
        int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
        var layers = Arg(0, 12);
        var hidden = Arg(1, 1024);
        var promptLength = Arg(2, 32);
        var decodeSteps = Arg(3, 16);
        var rounds = Arg(4, 2);
        var windowMs = Arg(5, 2);
        var (directory, _) = PipelineModel.Ensure(layers, hidden);
        using var local = LocalModel.Load(directory);
        using var checkpoint = Checkpoint.Open(directory);
        var spanEnd = layers / 3;
        var maxSessions = SessionCounts.Max();
        var setups = new (string Name, ServedSpan Served)[]
        {
            ("unbatched", new ServedSpan("bench", BlockSpan.Load(checkpoint, 0, spanEnd), new ServingLimits { MaxSessions = maxSessions })),
            ($"batched, {windowMs} ms window", new ServedSpan("bench", BlockSpan.Load(checkpoint, 0, spanEnd),
                new ServingLimits { MaxSessions = maxSessions, Batching = new BatchingOptions { Window = TimeSpan.FromMilliseconds(windowMs), MaxBatch = maxSessions } })),
        };
        Console.WriteLine($"threads: {get_num_threads()}; blocks [0, {spanEnd}) of {layers}, hidden {hidden}, float32; each session: prompt {promptLength} tokens, then {decodeSteps} decode steps; best of {rounds}");
        try
        {
            var best = new double[setups.Length, SessionCounts.Length];
            // Rounds interleave setups and session counts, so a busy spell on this shared machine hits them all alike.
            for (var round = 0; round <= rounds; round++)
            {
                for (var c = 0; c < SessionCounts.Length; c++)
                {
                    for (var s = 0; s < setups.Length; s++)
                    {
                        var tokensPerSecond = await DecodeAsync(setups[s].Served, local, SessionCounts[c], promptLength, decodeSteps);
                        Console.Error.WriteLine($"round {round}{(round == 0 ? " (warm-up)" : "")}: {setups[s].Name}, {SessionCounts[c]} sessions: {tokensPerSecond:F1} tokens/s");
                        if (round > 0) best[s, c] = Math.Max(best[s, c], tokensPerSecond);
                    }
                }
            }
            Console.WriteLine();
            Console.WriteLine("| setup | sessions | decode tokens/s (sum over sessions) | / same setup, 1 session | / unbatched, same sessions |");
            Console.WriteLine("|---|---|---|---|---|");
            for (var s = 0; s < setups.Length; s++)
            {
                for (var c = 0; c < SessionCounts.Length; c++)
                    Console.WriteLine($"| {setups[s].Name} | {SessionCounts[c]} | {best[s, c]:F1} | {best[s, c] / best[s, 0]:F2} | {best[s, c] / best[0, c]:F2} |");
            }
            var batches = setups[1].Served.Batcher!;
            Console.WriteLine();
            Console.WriteLine($"batched setup: {batches.BatchedSteps} steps in {batches.Batches} multi-session batches (mean {(double)batches.BatchedSteps / Math.Max(1, batches.Batches):F1} sessions per batch)");
        }
        finally
        {
            foreach (var (_, served) in setups) served.Dispose();
        }
    }

    /// <summary>Prefills <paramref name="sessions"/> sessions, then times all of them decoding at once.</summary>
    private static async Task<double> DecodeAsync(ServedSpan served, LocalModel local, int sessions, int promptLength, int decodeSteps)
    {
        var opened = Enumerable.Range(0, sessions).Select(_ => served.Blocks.OpenSession(1, promptLength + decodeSteps, served.CacheBudget)).ToArray();
        var tokens = Enumerable.Range(0, sessions).Select(i => local.Head.EmbedSequence([(i * 31 + 7) % 8000])).ToArray();
        try
        {
            for (var i = 0; i < sessions; i++)
            {
                var prompt = Enumerable.Range(0, promptLength).Select(t => (t * 7919 + 13 * i) % 8000).ToArray();
                using var embedded = local.Head.EmbedSequence(prompt);
                await served.StepAsync("inference", opened[i], embedded, 0, o => TensorCodec.Encode(o, TensorCompression.None), CancellationToken.None);
            }
            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(opened.Select((session, i) => Task.Run(async () =>
            {
                var token = tokens[i];
                for (var step = 0; step < decodeSteps; step++)
                    await served.StepAsync("inference", session, token, session.Position, o => TensorCodec.Encode(o, TensorCompression.None), CancellationToken.None);
            })));
            return sessions * decodeSteps / stopwatch.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var session in opened) session.Dispose();
            foreach (var token in tokens) token.Dispose();
        }
    }
}
