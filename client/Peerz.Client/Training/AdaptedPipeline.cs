using Peerz.Model.Adapters;
using Peerz.Model.Generation;

namespace Peerz.Client.Training;

/// <summary>
/// Generation with a LoRA adapter. The adapter travels with /peerz/forward requests (<see cref="RecomputingSession"/>),
/// not with inference sessions: every step's receipt then carries the adapter in its signed input, so a verifier replays
/// it exactly and never flags the provider for applying it; the price is no KV cache on the providers.
/// </summary>
public sealed class AdaptedPipeline(ITrainingPipeline training, LoraAdapter adapter) : IBlockPipeline
{
    public ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IBlockSession>(new RecomputingSession(training, history => history.alias(), null, adapter));
}
