using static TorchSharp.torch;

namespace Peerz.Verifier.Verification;

/// <summary>The comparison of a provider's output with the recomputed one.</summary>
public static class Divergence
{
    /// <summary>‖actual − expected‖₂ / ‖expected‖₂ in float64; infinite when shapes differ or values are not finite.</summary>
    public static double Relative(Tensor expected, Tensor actual)
    {
        if (!expected.shape.SequenceEqual(actual.shape)) return double.PositiveInfinity;
        using var scope = NewDisposeScope();
        var e = expected.to_type(ScalarType.Float64);
        var a = actual.to_type(ScalarType.Float64);
        var error = (a - e).norm().item<double>();
        var scale = e.norm().item<double>();
        var relative = error / Math.Max(scale, 1e-12);
        return double.IsFinite(relative) ? relative : double.PositiveInfinity;
    }
}
