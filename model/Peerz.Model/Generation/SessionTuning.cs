using Peerz.Model.Adapters;
using static TorchSharp.torch;

namespace Peerz.Model.Generation;

/// <summary>
/// What a tuned model applies inside the blocks at every step of an inference session: a LoRA adapter, deep prompts
/// ([layers, prefix, hidden] for all of the model's blocks, added to block i's input at positions below prefix), or
/// both. The caller keeps them: each session holds its own copies of its blocks' part.
/// </summary>
public sealed record SessionTuning(LoraAdapter? Adapter = null, Tensor? DeepPrompts = null)
{
    /// <summary>Copies of both, owned by the caller.</summary>
    public SessionTuning Copy() => new(Adapter?.Clone(), DeepPrompts is null ? null : PromptsFor(0, (int)DeepPrompts.shape[0]));

    /// <summary>Deep prompts for blocks [start, end): a float32 copy owned by the caller, or null.</summary>
    public Tensor? PromptsFor(int start, int end) =>
        DeepPrompts?.detach().narrow(0, start, end - start).to_type(ScalarType.Float32).contiguous().clone().DetachFromDisposeScope();
}
