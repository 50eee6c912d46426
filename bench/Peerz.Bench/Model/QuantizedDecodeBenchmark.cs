using System.Globalization;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using static TorchSharp.torch;

namespace Peerz.Bench.Model;

/// <summary>
/// Batch-1 decode through the blocks of the model benchmark's Llama shape (hidden 2048, intermediate 5632) with float32,
/// int8 and NF4 weights, loaded side by side and timed in interleaved rounds so that the machine's other load hits all
/// three alike; reported as tokens/s and as a ratio to float32 from the same run, beside each mode's weight bytes.
/// Argument: the number of blocks (default 4).
/// </summary>
public static class QuantizedDecodeBenchmark
{
    private const int PromptLength = 32, DecodeSteps = 16, Rounds = 5;

    public static Task RunAsync(string[] args)
    {
        var layers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 4;
        var (directory, shape) = ModelBenchmark.EnsureCheckpoint(layers);
        Console.WriteLine($"threads: {get_num_threads()}; {layers} blocks of hidden {shape.Hidden}, intermediate {shape.Intermediate}; prompt {PromptLength}, {DecodeSteps} decode steps, best of {Rounds} interleaved rounds");
        using var checkpoint = Checkpoint.Open(directory);
        var modes = new (string Name, WeightQuantization Weights)[] { ("float32", WeightQuantization.None), ("int8", WeightQuantization.Int8), ("nf4", WeightQuantization.Nf4) };
        var spans = modes.Select(m => BlockSpan.Load(checkpoint, 0, layers, new BlockLoadOptions { Quantization = m.Weights })).ToArray();
        try
        {
            var best = modes.Select(_ => double.MaxValue).ToArray();
            var prompt = randn([1, PromptLength, shape.Hidden], generator: manual_seed(1));
            var token = randn([1, 1, shape.Hidden], generator: manual_seed(2));
            for (var round = 0; round < Rounds; round++)
            {
                for (var m = 0; m < modes.Length; m++)
                    best[m] = Math.Min(best[m], SessionTiming.Measure(spans[m], prompt, token, DecodeSteps).DecodeSecondsPerToken);
            }
            Console.WriteLine("| weights | bytes per block | × float32 memory | decode tokens/s | × float32 speed |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            for (var m = 0; m < modes.Length; m++)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {modes[m].Name} | {spans[m].WeightBytes / layers:N0} | {(double)spans[m].WeightBytes / spans[0].WeightBytes:F3} | {1 / best[m]:F2} | {best[0] / best[m]:F2} |"));
        }
        finally
        {
            foreach (var span in spans) span.Dispose();
        }
        return Task.CompletedTask;
    }
}
