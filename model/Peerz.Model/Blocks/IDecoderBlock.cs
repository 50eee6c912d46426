using Peerz.Model.Adapters;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>One decoder layer of some architecture, as a span runs it: the Llama family's or BLOOM's.</summary>
internal interface IDecoderBlock : IDisposable
{
    /// <summary>Bytes of every weight held (what a span announces as its memory).</summary>
    long WeightBytes { get; }

    /// <param name="input">[batch, length, hidden], positions start at <paramref name="startPosition"/>.</param>
    /// <param name="rotary">The span's rotary angles for these positions; null for a model without rotary embeddings.</param>
    /// <param name="cache">When given, this step's keys/values are appended and attention covers all cached positions.</param>
    /// <param name="lora">LoRA layers of this block (Llama-family blocks only: adapters are validated before they get here).</param>
    Tensor Forward(Tensor input, int startPosition, (Tensor Cos, Tensor Sin)? rotary, LayerKvCache? cache, BlockLora? lora = null);

    /// <summary>One decode position for each of N sessions, row i at <paramref name="positions"/>[i] with its own cache.</summary>
    Tensor ForwardDecodeBatch(Tensor input, int[] positions, (Tensor Cos, Tensor Sin)? rotary, LayerKvCache[] caches);
}
