using Peerz.Model.Adapters;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>The MLP half of a decoder layer: a dense SwiGLU or a sparse mixture of experts.</summary>
internal interface IFeedForward : IDisposable
{
    /// <summary>Bytes of every weight held, all experts included (what a span announces as its memory).</summary>
    long WeightBytes { get; }

    /// <summary>
    /// [..., hidden] to [..., hidden]; each position independently of the others. <paramref name="lora"/> adapts
    /// gate/up/down_proj of a dense MLP, or the experts' w1/w3/w2 of a mixture of experts.
    /// </summary>
    Tensor Forward(Tensor input, BlockLora? lora = null);
}
