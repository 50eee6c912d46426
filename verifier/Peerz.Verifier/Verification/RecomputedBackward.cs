using Peerz.Model.Adapters;

namespace Peerz.Verifier.Verification;

/// <summary>
/// What a backward request should have been answered with: the input gradient and, when the request carried them, the
/// deep prompts' gradient (both with the request's output compression, as the provider encodes them) and the LoRA
/// adapter's gradients (exact float32; they travel uncompressed). The tensors belong to the caller's dispose scope.
/// For a mixture of experts, <paramref name="Input"/> carries the routing of the pass and its deficit against the
/// verifier's own top-k (every gradient went through that one pass).
/// </summary>
public sealed record RecomputedBackward(Recomputed Input, Recomputed? Prompts, LoraAdapter? Adapter);
