using Peerz.Model.Generation;

namespace Peerz.Bench.Pipeline;

/// <summary>
/// Drafts the model's own greedy continuation, computed beforehand: every draft is accepted, at no drafting cost.
/// Not a real drafter — it marks the ceiling a perfect drafter would reach over the same links, beside the n-gram
/// drafter whose acceptance depends on the text.
/// </summary>
public sealed class KnownContinuationDrafter(IReadOnlyList<int> prompt, IReadOnlyList<int> continuation) : IDrafter, IDraftSession
{
    public ValueTask<IDraftSession> StartAsync(int maxLength, SamplingOptions sampling, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IDraftSession>(this);

    public ValueTask<Draft> DraftAsync(IReadOnlyList<int> context, int count, CancellationToken cancellationToken)
    {
        var produced = context.Count - prompt.Count;
        var tokens = continuation.Skip(produced).Take(count).ToList();
        return ValueTask.FromResult(new Draft(tokens, new double[]?[tokens.Count]));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
