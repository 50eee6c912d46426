using Peerz.Model.Checkpoints;
using Peerz.Model.Tiny;

namespace Peerz.Bench.Pipeline;

/// <summary>
/// The random-weight Llama-shaped checkpoint the pipeline and batching benchmarks share: one shape and seed per
/// (blocks, hidden size), written once to the temp directory and reused by later runs.
/// </summary>
internal static class PipelineModel
{
    public static (string Directory, TinyModelOptions Shape) Ensure(int layers, int hidden)
    {
        var shape = new TinyModelOptions { Seed = 1, Layers = layers, Hidden = hidden, Heads = hidden / 64, KvHeads = Math.Max(1, hidden / 256), Vocab = 8000, MaxPositions = 2048 };
        var directory = Path.Combine(Path.GetTempPath(), $"peerz-bench-pipeline-{layers}x{hidden}");
        if (!File.Exists(Path.Combine(directory, Checkpoint.SingleFile)))
        {
            Console.Error.WriteLine($"writing a {layers}-block {hidden}-hidden checkpoint to {directory} ...");
            TinyModelGenerator.Write(directory, shape);
        }
        return (directory, shape);
    }
}
