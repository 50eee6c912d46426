using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Generation;
using static TorchSharp.torch;

namespace Peerz.Model;

/// <summary>
/// A whole model in one process (client head plus every block): the reference that every
/// distributed path is checked against, and what `peerz generate --local` runs.
/// </summary>
public sealed class LocalModel : IDisposable
{
    private LocalModel(Checkpoint checkpoint, ClientHead head, BlockSpan blocks, KvCacheBudget budget)
    {
        Checkpoint = checkpoint;
        Head = head;
        Blocks = blocks;
        Pipeline = new LocalBlockPipeline(blocks, budget);
    }

    public Checkpoint Checkpoint { get; }

    public ClientHead Head { get; }

    public BlockSpan Blocks { get; }

    public IAdaptableBlockPipeline Pipeline { get; }

    public static LocalModel Load(string directory, BlockLoadOptions? options = null, long cacheBytes = 1L << 30, IProgress<int>? progress = null)
    {
        var checkpoint = Checkpoint.Open(directory);
        try
        {
            options ??= BlockLoadOptions.Default;
            var head = ClientHead.Load(checkpoint, options.DType);
            var blocks = BlockSpan.Load(checkpoint, 0, checkpoint.Config.NumLayers, options, progress);
            return new LocalModel(checkpoint, head, blocks, new KvCacheBudget(cacheBytes));
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Full forward pass without a cache: float32 logits [length, vocab] for one sequence.</summary>
    public float[][] Logits(IReadOnlyList<int> tokenIds)
    {
        using var scope = NewDisposeScope();
        var logits = Head.Logits(Blocks.Forward(Head.EmbedSequence(tokenIds)))[0];
        var vocab = (int)logits.shape[1];
        var flat = logits.contiguous().data<float>().ToArray();
        return Enumerable.Range(0, tokenIds.Count).Select(row => flat.AsSpan(row * vocab, vocab).ToArray()).ToArray();
    }

    public TextGenerator CreateGenerator() => new(Head, Pipeline);

    public void Dispose()
    {
        Blocks.Dispose();
        Head.Dispose();
        Checkpoint.Dispose();
    }
}
