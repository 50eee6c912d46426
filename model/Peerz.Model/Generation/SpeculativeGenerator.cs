using System.Runtime.CompilerServices;
using Peerz.Model.Client;
using static TorchSharp.torch;

namespace Peerz.Model.Generation;

/// <summary>
/// Speculative decoding: a drafter proposes up to <see cref="DraftTokens"/> tokens, one pipeline step computes the
/// model's logits at the pending token and every draft (k + 1 positions), the longest agreeing prefix is kept plus
/// one token from the model, and the session is rolled back past the rejected drafts. Greedy: a draft is kept when
/// it equals the model's argmax, so output is token for token that of <see cref="TextGenerator"/>. Sampling: the
/// rejection rule of Leviathan et al. / Chen et al. (keep draft x with probability min(1, p(x)/q(x)), else draw from
/// max(0, p − q) renormalised; after k kept drafts draw a bonus token from p), so every token has the model's
/// distribution p whatever the drafter proposes.
/// </summary>
public sealed class SpeculativeGenerator
{
    private readonly ClientHead _head;
    private readonly IBlockPipeline _pipeline;
    private readonly IDrafter _drafter;

    public SpeculativeGenerator(ClientHead head, IBlockPipeline pipeline, IDrafter drafter, int draftTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draftTokens);
        _head = head;
        _pipeline = pipeline;
        _drafter = drafter;
        DraftTokens = draftTokens;
    }

    public int DraftTokens { get; }

    public SpeculativeStatistics Statistics { get; } = new();

    public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptIds, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (promptIds.Count == 0) throw new ArgumentException("the prompt must hold at least one token", nameof(promptIds));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxNewTokens);
        if (options.MaxNewTokens == 0) yield break;
        var sampler = new TokenSampler(options.Sampling);
        // Drafts are capped so a step never reaches past the last position plain generation would use.
        var maxLength = promptIds.Count + options.MaxNewTokens;
        await using var opened = await _pipeline.OpenSessionAsync(1, maxLength, cancellationToken);
        if (opened is not IRollbackBlockSession session)
            throw new NotSupportedException("speculative decoding needs a pipeline whose sessions can roll back");
        await using var drafts = await _drafter.StartAsync(maxLength, options.Sampling, cancellationToken);
        var context = promptIds.ToList();
        var produced = 0;
        while (produced < options.MaxNewTokens)
        {
            var room = options.MaxNewTokens - produced - 1;
            var draft = room > 0 ? await drafts.DraftAsync(context, Math.Min(DraftTokens, room), cancellationToken) : Draft.Empty;
            var rows = await VerifyAsync(session, context.Skip(session.Position).Concat(draft.Tokens).ToList(), draft.Tokens.Count + 1, cancellationToken);
            var (accepted, next) = Accept(draft, rows, sampler);
            Statistics.Record(draft.Tokens.Count, accepted);
            // Keep the pending tokens and the accepted drafts; the next token is fed with the next step.
            session.Rollback(context.Count + accepted);
            foreach (var token in draft.Tokens.Take(accepted).Append(next))
            {
                context.Add(token);
                produced++;
                yield return token;
                if (options.StopTokenIds.Contains(token) || produced == options.MaxNewTokens) yield break;
            }
        }
    }

    /// <summary>Runs the step and returns the logits of its last <paramref name="count"/> positions.</summary>
    private async Task<float[][]> VerifyAsync(IRollbackBlockSession session, IReadOnlyList<int> input, int count, CancellationToken cancellationToken)
    {
        // TorchSharp dispose scopes are per thread, so none may stay open across the await.
        using var embedded = _head.EmbedSequence(input);
        using var hidden = await session.StepAsync(embedded, cancellationToken);
        using var scope = NewDisposeScope();
        var logits = _head.Logits(hidden.narrow(1, hidden.shape[1] - count, count))[0];
        return Enumerable.Range(0, count).Select(i => logits[i].data<float>().ToArray()).ToArray();
    }

    /// <summary>How many drafts are kept, and the model's token after them (a correction or the bonus token).</summary>
    private static (int Accepted, int Next) Accept(Draft draft, float[][] rows, TokenSampler sampler)
    {
        for (var i = 0; i < draft.Tokens.Count; i++)
        {
            var token = draft.Tokens[i];
            if (sampler.IsGreedy)
            {
                var best = TokenSampler.ArgMax(rows[i]);
                if (best != token) return (i, best);
                continue;
            }
            var p = sampler.Probabilities(rows[i]);
            var q = draft.Distributions[i];
            var proposed = q?[token] ?? 1.0;
            if (sampler.Uniform() < Math.Min(1.0, p[token] / proposed)) continue;
            // Rejected: draw from the residual max(0, p − q); for a point mass q that is p without the draft token.
            var residual = new double[p.Length];
            for (var x = 0; x < p.Length; x++) residual[x] = Math.Max(0, p[x] - (q?[x] ?? (x == token ? 1.0 : 0.0)));
            return (i, residual.Any(r => r > 0) ? sampler.Sample(residual) : sampler.Sample(p));
        }
        var last = rows[draft.Tokens.Count];
        return (draft.Tokens.Count, sampler.IsGreedy ? TokenSampler.ArgMax(last) : sampler.Sample(sampler.Probabilities(last)));
    }
}
