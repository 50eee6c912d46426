using Peerz.Model.Generation;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// Generation with trained soft prompts through KV-cached inference sessions. Shallow prompts go in front of the first
/// step; deep prompts travel in each hop's session open (its blocks' rows) and are added inside every block at the
/// prefix positions, so decoding costs one position per token with either kind (docs/architecture.md, "Prompt tuning").
/// </summary>
public sealed class PromptedPipeline(IAdaptableBlockPipeline inference, SoftPrompts prompts) : IBlockPipeline
{
    public async ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken)
    {
        // Without deep prompts the tuning is empty and the sessions are plain ones.
        var session = await inference.OpenSessionAsync(batchSize, maxLength + prompts.PrefixLength, new SessionTuning(DeepPrompts: prompts.Deep), cancellationToken);
        return session is IRollbackBlockSession rollback ? new RollbackShallowSession(rollback, prompts, batchSize) : new ShallowSession(session, prompts, batchSize);
    }

    /// <summary>
    /// The same generation through /peerz/forward requests, one over the whole sequence per step (no KV cache, quadratic
    /// in the length): the path deep prompts took before sessions carried them, kept as the baseline sessions are
    /// measured and checked against.
    /// </summary>
    public static IBlockPipeline Recomputing(ITrainingPipeline training, SoftPrompts prompts) => new RecomputingPipeline(training, prompts);

    private static Tensor WithPrefix(SoftPrompts prompts, Tensor hidden, int batchSize)
    {
        using var scope = NewDisposeScope();
        var prefix = prompts.Shallow.detach().to_type(hidden.dtype).unsqueeze(0).expand(batchSize, -1, -1);
        return cat([prefix, hidden], 1).MoveToOuterDisposeScope();
    }

    private sealed class RecomputingPipeline(ITrainingPipeline training, SoftPrompts prompts) : IBlockPipeline
    {
        public ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IBlockSession>(new RecomputingSession(training, history => WithPrefix(prompts, history, batchSize), prompts.Deep, null));
    }

    /// <summary>Puts the shallow prompts in front of the first step and hides their positions from the caller.</summary>
    private class ShallowSession(IBlockSession inner, SoftPrompts prompts, int batchSize) : IBlockSession
    {
        protected bool Started { get; private set; }

        public async ValueTask<Tensor> StepAsync(Tensor hidden, CancellationToken cancellationToken)
        {
            if (Started) return await inner.StepAsync(hidden, cancellationToken);
            using var input = WithPrefix(prompts, hidden, batchSize);
            using var output = await inner.StepAsync(input, cancellationToken);
            Started = true;
            return output.narrow(1, prompts.PrefixLength, hidden.shape[1]).clone();
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>
    /// Rollback in the caller's positions (speculative decoding): position p is the inner session's p + prefix, so the
    /// prompts' positions always stay cached.
    /// </summary>
    private sealed class RollbackShallowSession : ShallowSession, IRollbackBlockSession
    {
        private readonly IRollbackBlockSession _inner;
        private readonly int _prefixLength;

        public RollbackShallowSession(IRollbackBlockSession inner, SoftPrompts prompts, int batchSize)
            : base(inner, prompts, batchSize) => (_inner, _prefixLength) = (inner, prompts.PrefixLength);

        public int Position => Started ? _inner.Position - _prefixLength : 0;

        public void Rollback(int position)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(position);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(position, Position);
            if (Started) _inner.Rollback(position + _prefixLength);
        }
    }
}
