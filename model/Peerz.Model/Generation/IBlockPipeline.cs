using static TorchSharp.torch;

namespace Peerz.Model.Generation;

/// <summary>
/// All transformer blocks of a model, wherever they run: one local span, or a chain of providers.
/// Generation is written against this so the local reference and the swarm share one loop.
/// </summary>
public interface IBlockPipeline
{
    ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken);
}

/// <summary>An inference session across all blocks: each step extends the KV caches along the chain.</summary>
public interface IBlockSession : IAsyncDisposable
{
    ValueTask<Tensor> StepAsync(Tensor hidden, CancellationToken cancellationToken);
}
