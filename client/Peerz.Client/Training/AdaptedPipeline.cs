using Peerz.Model.Adapters;
using Peerz.Model.Generation;

namespace Peerz.Client.Training;

/// <summary>
/// Generation with a LoRA adapter through KV-cached inference sessions: each session carries the adapter from its open
/// and applies it at every step, so decoding costs one position per token. Providers sign step 0 with the adapter in it,
/// and verifiers replay the session with it (docs/architecture.md, "LoRA adapters through the swarm").
/// </summary>
public sealed class AdaptedPipeline(IAdaptableBlockPipeline inference, LoraAdapter adapter) : IBlockPipeline
{
    public ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken) =>
        inference.OpenSessionAsync(batchSize, maxLength, new SessionTuning(adapter), cancellationToken);

    /// <summary>
    /// The same generation through /peerz/forward requests, one over the whole sequence per step (no KV cache, quadratic in
    /// the length): the path adapters took before sessions carried them, kept as the baseline sessions are measured and
    /// checked against.
    /// </summary>
    public static IBlockPipeline Recomputing(ITrainingPipeline training, LoraAdapter adapter) => new RecomputingPipeline(training, adapter);

    private sealed class RecomputingPipeline(ITrainingPipeline training, LoraAdapter adapter) : IBlockPipeline
    {
        public ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IBlockSession>(new RecomputingSession(training, history => history.alias(), null, adapter));
    }
}
