namespace Peerz.Model.Generation;

/// <summary>
/// Model-free prompt-lookup drafting: finds the latest earlier occurrence of the context's last n tokens
/// (n from <see cref="MaxNgram"/> down to 1) and proposes the tokens that followed it. Costs no model work,
/// and pays off on repetitive text (code, quoting the prompt, the tiny model's loops).
/// </summary>
public sealed class NGramDrafter(int maxNgram = 3) : IDrafter, IDraftSession
{
    public int MaxNgram { get; } = maxNgram > 0 ? maxNgram : throw new ArgumentOutOfRangeException(nameof(maxNgram), "the n-gram length must be at least 1");

    public ValueTask<IDraftSession> StartAsync(int maxLength, SamplingOptions sampling, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IDraftSession>(this);

    public ValueTask<Draft> DraftAsync(IReadOnlyList<int> context, int count, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Propose(context, count));

    public Draft Propose(IReadOnlyList<int> context, int count)
    {
        for (var n = Math.Min(MaxNgram, context.Count - 1); n >= 1 && count > 0; n--)
        {
            // The latest match whose continuation is non-empty: start at Count - n - 1 so the suffix does not match itself.
            for (var start = context.Count - n - 1; start >= 0; start--)
            {
                if (!Matches(context, start, n)) continue;
                var tokens = new List<int>(count);
                for (var i = start + n; i < context.Count && tokens.Count < count; i++) tokens.Add(context[i]);
                return new Draft(tokens, new double[]?[tokens.Count]);
            }
        }
        return Draft.Empty;
    }

    private static bool Matches(IReadOnlyList<int> context, int start, int n)
    {
        var suffix = context.Count - n;
        for (var i = 0; i < n; i++)
            if (context[start + i] != context[suffix + i]) return false;
        return true;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
