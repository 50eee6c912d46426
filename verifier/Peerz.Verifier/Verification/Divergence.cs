using static TorchSharp.torch;

namespace Peerz.Verifier.Verification;

/// <summary>The comparison of a provider's output with the recomputed one.</summary>
public static class Divergence
{
    /// <summary>
    /// ‖e‖₂ / ‖expected‖₂ in float64, where e is the elementwise error |actual − expected| less
    /// <paramref name="allowance"/> (what the output compression may move each value, see <see cref="WireResolution"/>;
    /// none when null), floored at 0. Infinite when shapes differ or values are not finite.
    /// </summary>
    public static double Relative(Tensor expected, Tensor actual, Tensor? allowance = null)
    {
        if (!expected.shape.SequenceEqual(actual.shape)) return double.PositiveInfinity;
        using var scope = NewDisposeScope();
        var e = expected.to_type(ScalarType.Float64);
        var difference = (actual.to_type(ScalarType.Float64) - e).abs();
        if (allowance is not null) difference = (difference - allowance.to_type(ScalarType.Float64)).clamp_min(0);
        var error = difference.norm().item<double>();
        var scale = e.norm().item<double>();
        var relative = error / Math.Max(scale, 1e-12);
        return double.IsFinite(relative) ? relative : double.PositiveInfinity;
    }
}
