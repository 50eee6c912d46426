using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using static TorchSharp.torch;

namespace Peerz.Bench.Pipeline;

/// <summary>
/// Parameter offloading, the baseline of the Petals paper: the weights do not stay in memory, so
/// every step loads every block's weights from the checkpoint again before computing. The compute
/// itself runs on a resident copy with a KV cache, so only the loading differs from the local run.
/// </summary>
public sealed class OffloadingPipeline(Checkpoint checkpoint, IBlockPipeline resident, BlockLoadOptions options) : IBlockPipeline
{
    public async ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken) =>
        new Session(checkpoint, await resident.OpenSessionAsync(batchSize, maxLength, cancellationToken), options);

    private sealed class Session(Checkpoint checkpoint, IBlockSession inner, BlockLoadOptions options) : IBlockSession
    {
        public ValueTask<Tensor> StepAsync(Tensor hidden, CancellationToken cancellationToken)
        {
            for (var block = 0; block < checkpoint.Config.NumLayers; block++)
                BlockSpan.Load(checkpoint, block, block + 1, options).Dispose();
            return inner.StepAsync(hidden, cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
