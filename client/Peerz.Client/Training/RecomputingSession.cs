using Peerz.Model.Adapters;
using Peerz.Model.Generation;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// Generation through a training pipeline: each step runs one forward pass over the whole sequence so far (no KV
/// cache: quadratic in the length, fine for the short outputs tuned models are used for), for what the inference
/// protocol does not carry: deep prompts (and LoRA adapters, for <see cref="AdaptedPipeline.Recomputing"/>'s baseline;
/// sessions carry adapters themselves). <paramref name="input"/> turns the history into the
/// blocks' input (e.g. prepends soft prompts); the step's output is the last positions of the result.
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
