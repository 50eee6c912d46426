using static TorchSharp.torch;

namespace Peerz.Model;

public static class TensorOwnership
{
    /// <summary>
    /// Converts a tensor the caller owns to <paramref name="dtype"/>, disposing the original when a
    /// copy was made. (TorchSharp's to_type returns the same tensor when no conversion is needed, so
    /// disposing "the original" unconditionally would destroy the result.)
    /// </summary>
    public static Tensor MoveToDType(this Tensor tensor, ScalarType dtype)
    {
        if (tensor.dtype == dtype) return tensor;
        using (tensor)
            return tensor.to_type(dtype);
    }
}
