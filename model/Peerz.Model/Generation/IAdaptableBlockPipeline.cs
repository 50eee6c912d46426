using Peerz.Model.Adapters;

namespace Peerz.Model.Generation;

/// <summary>
/// A pipeline whose sessions can apply a LoRA adapter at every step, prefill and decode alike, so the KV caches hold the
/// adapted keys and values and decoding stays incremental.
/// </summary>
public interface IAdaptableBlockPipeline : IBlockPipeline
{
    /// <param name="adapter">Weights for any of the model's blocks. The caller keeps it: each session holds its own copy.</param>
    ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, LoraAdapter adapter, CancellationToken cancellationToken);
}
