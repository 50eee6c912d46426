using System.Runtime.CompilerServices;
using Peerz.Model.Client;
using static TorchSharp.torch;

namespace Peerz.Model.Generation;

/// <summary>
/// Autoregressive generation: the prompt is prefilled in one step, then one token per step, each
/// step extending the pipeline's KV caches. Tokens stream out as they are chosen.
/// </summary>
public sealed class TextGenerator(ClientHead head, IBlockPipeline pipeline)
{
    public async IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptIds, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (promptIds.Count == 0) throw new ArgumentException("the prompt must hold at least one token", nameof(promptIds));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxNewTokens);
        if (options.MaxNewTokens == 0) yield break;
        var sampler = new TokenSampler(options.Sampling);
        var maxLength = promptIds.Count + options.MaxNewTokens;
        await using var session = await pipeline.OpenSessionAsync(1, maxLength, cancellationToken);
        IReadOnlyList<int> input = promptIds;
        for (var produced = 0; produced < options.MaxNewTokens; produced++)
        {
            var token = await NextTokenAsync(session, input, sampler, cancellationToken);
            yield return token;
            if (options.StopTokenIds.Contains(token)) yield break;
            input = [token];
        }
    }

    private async Task<int> NextTokenAsync(IBlockSession session, IReadOnlyList<int> input, TokenSampler sampler, CancellationToken cancellationToken)
    {
        // TorchSharp dispose scopes are per thread, so none may stay open across the await.
        using var embedded = head.EmbedSequence(input);
        using var hidden = await session.StepAsync(embedded, cancellationToken);
        using var scope = NewDisposeScope();
        var logits = head.Logits(hidden.narrow(1, hidden.shape[1] - 1, 1)).flatten();
        return sampler.Next(logits.data<float>().ToArray());
    }
}
