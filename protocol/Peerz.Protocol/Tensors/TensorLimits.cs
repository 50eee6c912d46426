namespace Peerz.Protocol.Tensors;

/// <summary>Bounds on a decoded tensor, so a hostile peer cannot make us allocate without limit.</summary>
public sealed record TensorLimits(long MaxElements, int MaxRank = 4)
{
    /// <summary>64 M elements: 256 MB of float32, far above one step's hidden states for any served model.</summary>
    public static readonly TensorLimits Default = new(64L << 20);
}
