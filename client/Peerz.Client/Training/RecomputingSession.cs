using Peerz.Model.Adapters;
using Peerz.Model.Generation;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// Generation through a training pipeline: each step runs one forward pass over the whole sequence so far (no KV
/// cache: quadratic in the length), with deep prompts or a LoRA adapter applied as in training. Inference sessions carry
/// both themselves; this is the baseline they are checked and measured against (<see cref="AdaptedPipeline.Recomputing"/>,
/// <see cref="PromptedPipeline.Recomputing"/>). <paramref name="input"/> turns the history into the blocks' input (e.g.
/// prepends soft prompts); the step's output is the last positions of the result.
/// </summary>
internal sealed class RecomputingSession(ITrainingPipeline training, Func<Tensor, Tensor> input, Tensor? deepPrompts, LoraAdapter? adapter) : IBlockSession
{
    private Tensor? _history;

    public async ValueTask<Tensor> StepAsync(Tensor hidden, CancellationToken cancellationToken)
    {
        var history = _history is null ? hidden.detach().clone() : cat([_history, hidden], 1);
        _history?.Dispose();
        _history = history;
        using var blocksInput = input(history);
        using var pass = await training.ForwardAsync(blocksInput, deepPrompts, adapter, cancellationToken);
        return pass.Output.narrow(1, blocksInput.shape[1] - hidden.shape[1], hidden.shape[1]).clone();
    }

    public ValueTask DisposeAsync()
    {
        _history?.Dispose();
        return ValueTask.CompletedTask;
    }
}
