using Peerz.Model.Generation;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// Generation with trained soft prompts. Shallow prompts go in front of the first step of an
/// ordinary inference session (cached decoding, anywhere). Deep prompts must be added inside every
/// block, which the inference protocol does not carry, so with them each step runs a full forward
/// pass over the whole sequence through <see cref="ITrainingPipeline"/> (<see cref="RecomputingSession"/>).
/// </summary>
public sealed class PromptedPipeline(IBlockPipeline inference, ITrainingPipeline training, SoftPrompts prompts) : IBlockPipeline
{
    public async ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken)
    {
        if (prompts.Deep is not null) return new RecomputingSession(training, history => WithPrefix(prompts, history, batchSize), prompts.Deep, null);
        return new ShallowSession(await inference.OpenSessionAsync(batchSize, maxLength + prompts.PrefixLength, cancellationToken), prompts, batchSize);
    }

    private static Tensor WithPrefix(SoftPrompts prompts, Tensor hidden, int batchSize)
    {
        using var scope = NewDisposeScope();
        var prefix = prompts.Shallow.detach().to_type(hidden.dtype).unsqueeze(0).expand(batchSize, -1, -1);
        return cat([prefix, hidden], 1).MoveToOuterDisposeScope();
    }

    private sealed class ShallowSession(IBlockSession inner, SoftPrompts prompts, int batchSize) : IBlockSession
    {
        private bool _started;

        public async ValueTask<Tensor> StepAsync(Tensor hidden, CancellationToken cancellationToken)
        {
            if (_started) return await inner.StepAsync(hidden, cancellationToken);
            using var input = WithPrefix(prompts, hidden, batchSize);
            using var output = await inner.StepAsync(input, cancellationToken);
            _started = true;
            return output.narrow(1, prompts.PrefixLength, hidden.shape[1]).clone();
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
