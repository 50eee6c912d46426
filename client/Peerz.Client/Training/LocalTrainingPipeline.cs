using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>Every block in this process: the reference a swarm run is compared with.</summary>
public sealed class LocalTrainingPipeline(BlockSpan blocks) : ITrainingPipeline
{
    public Task<ITrainingPass> ForwardAsync(Tensor hidden, Tensor? prompts, LoraAdapter? adapter, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var input = hidden.detach().clone();
        var savedPrompts = prompts?.detach().clone();
        var savedAdapter = adapter?.Clone();
        return Task.FromResult<ITrainingPass>(new Pass(blocks, input, savedPrompts, savedAdapter, blocks.Forward(input, savedPrompts, savedAdapter)));
    }

    private sealed class Pass(BlockSpan blocks, Tensor input, Tensor? prompts, LoraAdapter? adapter, Tensor output) : ITrainingPass
    {
        public Tensor Output { get; } = output;

        public Task<SpanGradients> BackwardAsync(Tensor outputGradient, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(blocks.Backward(input, prompts, outputGradient, adapter: adapter));
        }

        public void Dispose()
        {
            input.Dispose();
            prompts?.Dispose();
            adapter?.Dispose();
            Output.Dispose();
        }
    }
}
