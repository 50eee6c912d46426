using Peerz.Model.Generation;

namespace Peerz.Bench.Pipeline;

/// <summary>Drafts nothing: the speculative generator then takes plain one-token steps, the same-path baseline.</summary>
public sealed class NoDrafter : IDrafter, IDraftSession
{
    public ValueTask<IDraftSession> StartAsync(int maxLength, SamplingOptions sampling, CancellationToken cancellationToken) => ValueTask.FromResult<IDraftSession>(this);

    public ValueTask<Draft> DraftAsync(IReadOnlyList<int> context, int count, CancellationToken cancellationToken) => ValueTask.FromResult(Draft.Empty);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
