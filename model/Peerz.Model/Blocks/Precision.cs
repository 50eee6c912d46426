using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

internal static class Precision
{
    /// <summary>Half types are widened to float32 for reductions and logits; float32/float64 stay as they are.</summary>
    public static ScalarType AtLeastFloat32(ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : dtype;
}
