using Peerz.Model.Generation;
using static TorchSharp.torch;

namespace Peerz.Gateway.Tests;

/// <summary>The model's own pipeline, whose sessions fail with <paramref name="error"/> at step <paramref name="failAtStep"/>, as a swarm beyond its replays would.</summary>
public sealed class FailingPipeline(IBlockPipeline inner, int failAtStep, Exception error) : IBlockPipeline
{
    public async ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken) =>
        new Session(await inner.OpenSessionAsync(batchSize, maxLength, cancellationToken), failAtStep, error);

    private sealed class Session(IBlockSession inner, int failAtStep, Exception error) : IBlockSession
    {
        private int _steps;

        public ValueTask<Tensor> StepAsync(Tensor hidden, CancellationToken cancellationToken) =>
            _steps++ == failAtStep ? throw error : inner.StepAsync(hidden, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
