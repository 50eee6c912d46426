namespace Peerz.Model.Generation;

/// <summary>Proposes draft tokens for speculative decoding; one <see cref="IDraftSession"/> per generation.</summary>
public interface IDrafter
{
    /// <param name="maxLength">The longest context plus drafts the session will be asked about.</param>
    ValueTask<IDraftSession> StartAsync(int maxLength, SamplingOptions sampling, CancellationToken cancellationToken);
}

/// <summary>Drafts for one growing context. Calls come with the whole context so far (prompt and accepted tokens).</summary>
public interface IDraftSession : IAsyncDisposable
{
    ValueTask<Draft> DraftAsync(IReadOnlyList<int> context, int count, CancellationToken cancellationToken);
}

/// <summary>
/// Up to the requested number of draft tokens. <see cref="Distributions"/>[i] is the distribution token i was drawn
/// from (over the vocabulary), or null when the drafter is deterministic (a point mass on the token).
/// </summary>
public sealed record Draft(IReadOnlyList<int> Tokens, IReadOnlyList<double[]?> Distributions)
{
    public static readonly Draft Empty = new([], []);
}
