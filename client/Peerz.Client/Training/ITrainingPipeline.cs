using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// All transformer blocks of a model for training: a forward pass over whole sequences (from
/// position 0, no cache) whose backward pass yields gradients for the input, the deep prompts and the LoRA adapter.
/// Local and swarm implementations share this, so a local run is the reference for a swarm run.
/// </summary>
public interface ITrainingPipeline
{
    /// <param name="hidden">[batch, length, hidden] block inputs; the caller keeps ownership.</param>
    /// <param name="prompts">Deep prompts [layers, prefix, hidden] or null; the caller keeps ownership.</param>
    /// <param name="adapter">LoRA weights for the pipeline's blocks or null; the pass keeps its own copy.</param>
    Task<ITrainingPass> ForwardAsync(Tensor hidden, Tensor? prompts, LoraAdapter? adapter, CancellationToken cancellationToken);
}

/// <summary>One forward pass, holding what its backward pass needs (each hop's inputs).</summary>
public interface ITrainingPass : IDisposable
{
    /// <summary>The last block's output [batch, length, hidden]; owned by the pass.</summary>
    Tensor Output { get; }

    /// <summary>Gradients for the pass's input, deep prompts and adapter, given the gradient of <see cref="Output"/>.</summary>
    Task<SpanGradients> BackwardAsync(Tensor outputGradient, CancellationToken cancellationToken);
}
