namespace Peerz.Model.Generation;

/// <summary>
/// A pipeline whose sessions can apply a LoRA adapter and deep prompts at every step, prefill and decode alike, so the KV
/// caches hold the tuned keys and values and decoding stays incremental.
/// </summary>
public interface IAdaptableBlockPipeline : IBlockPipeline
{
    /// <param name="tuning">Adapter and deep prompts for the model's blocks. The caller keeps them: each session holds its own copy.</param>
    ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, SessionTuning tuning, CancellationToken cancellationToken);
}
