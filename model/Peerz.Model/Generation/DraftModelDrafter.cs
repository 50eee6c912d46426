using Peerz.Model.Client;
using static TorchSharp.torch;

namespace Peerz.Model.Generation;

/// <summary>
/// Drafts with a small model of the same tokenizer run locally (greedy, or sampling with the generation's options
/// from its own random stream). Its session keeps the context between calls and rolls back what was rejected.
/// </summary>
public sealed class DraftModelDrafter : IDrafter
{
    private readonly ClientHead _head;
    private readonly IBlockPipeline _pipeline;

    public DraftModelDrafter(ClientHead head, IBlockPipeline pipeline, int targetVocabularySize)
    {
        if (head.Config.VocabSize != targetVocabularySize)
            throw new ArgumentException($"the draft model's vocabulary has {head.Config.VocabSize} tokens but the model's has {targetVocabularySize}: a draft model must share the tokenizer");
        _head = head;
        _pipeline = pipeline;
    }

    public async ValueTask<IDraftSession> StartAsync(int maxLength, SamplingOptions sampling, CancellationToken cancellationToken)
    {
        var session = await _pipeline.OpenSessionAsync(1, maxLength, cancellationToken);
        if (session is not IRollbackBlockSession rollback)
        {
            await session.DisposeAsync();
            throw new NotSupportedException("the draft model's pipeline cannot roll back its sessions");
        }
        // Its own stream: the target's acceptance draws must not depend on how many tokens the drafter sampled.
        return new Session(_head, rollback, new TokenSampler(sampling with { Seed = sampling.Seed is { } seed ? seed ^ 0x5eed : null }));
    }

    private sealed class Session(ClientHead head, IRollbackBlockSession session, TokenSampler sampler) : IDraftSession
    {
        /// <summary>The tokens at the session's positions [0, Position).</summary>
        private readonly List<int> _fed = [];

        public async ValueTask<Draft> DraftAsync(IReadOnlyList<int> context, int count, CancellationToken cancellationToken)
        {
            if (count <= 0) return Draft.Empty;
            var common = 0;
            while (common < _fed.Count && common < context.Count - 1 && _fed[common] == context[common]) common++;
            session.Rollback(common);
            _fed.RemoveRange(common, _fed.Count - common);
            IReadOnlyList<int> input = context.Skip(common).ToList();
            var tokens = new List<int>(count);
            var distributions = new List<double[]?>(count);
            while (true)
            {
                var logits = await LastLogitsAsync(input, cancellationToken);
                _fed.AddRange(input);
                if (sampler.IsGreedy)
                {
                    tokens.Add(TokenSampler.ArgMax(logits));
                    distributions.Add(null);
                }
                else
                {
                    var q = sampler.Probabilities(logits);
                    tokens.Add(sampler.Sample(q));
                    distributions.Add(q);
                }
                if (tokens.Count == count) return new Draft(tokens, distributions);
                input = [tokens[^1]];
            }
        }

        private async Task<float[]> LastLogitsAsync(IReadOnlyList<int> input, CancellationToken cancellationToken)
        {
            using var embedded = head.EmbedSequence(input);
            using var hidden = await session.StepAsync(embedded, cancellationToken);
            using var scope = NewDisposeScope();
            return head.Logits(hidden.narrow(1, hidden.shape[1] - 1, 1)).flatten().data<float>().ToArray();
        }

        public ValueTask DisposeAsync() => session.DisposeAsync();
    }
}
