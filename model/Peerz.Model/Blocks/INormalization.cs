using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>A normalization over the hidden dimension: RMSNorm (Llama family) or LayerNorm (BLOOM, Falcon).</summary>
public interface INormalization : IDisposable
{
    /// <summary>[..., hidden] to [..., hidden] in the input's dtype.</summary>
    Tensor Forward(Tensor input);
}
