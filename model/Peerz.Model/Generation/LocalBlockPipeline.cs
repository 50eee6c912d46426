using Peerz.Model.Blocks;
using static TorchSharp.torch;

namespace Peerz.Model.Generation;

/// <summary>All blocks in this process: the reference every distributed path is compared with.</summary>
public sealed class LocalBlockPipeline(BlockSpan span, KvCacheBudget budget) : IAdaptableBlockPipeline
{
    public ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IBlockSession>(new Session(span.OpenSession(batchSize, maxLength, budget)));

    public ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, SessionTuning tuning, CancellationToken cancellationToken)
    {
        var adapter = tuning.Adapter?.Slice(span.Start, span.End);
        var prompts = tuning.PromptsFor(span.Start, span.End);
        try
        {
            return ValueTask.FromResult<IBlockSession>(new Session(span.OpenSession(batchSize, maxLength, budget, adapter, prompts)));
        }
        catch
        {
            adapter?.Dispose();
            prompts?.Dispose();
            throw;
        }
    }

    private sealed class Session(InferenceSession session) : IRollbackBlockSession
    {
        public int Position => session.Position;

        public void Rollback(int position) => session.Rollback(position);

        public ValueTask<Tensor> StepAsync(Tensor hidden, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(session.Step(hidden));
        }

        public ValueTask DisposeAsync()
        {
            session.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
