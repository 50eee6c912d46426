using static TorchSharp.torch;

namespace Peerz.Model.Adapters;

/// <summary>The LoRA matrices of one projection of one block (absolute block index): A [rank, in], B [out, rank].</summary>
public sealed record LoraWeight(int Block, string Module, Tensor A, Tensor B);
