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
    public static double Relative(Tensor expected, Tensor actual, Tensor? allowance = null) => Compute(expected, actual, allowance, againstLarger: false);

    /// <summary>
    /// ‖e‖₂ / max(‖expected‖₂, ‖actual‖₂), 0 when both are zero (e as in <see cref="Relative"/>): the statistic for
    /// gradients, which can honestly be exactly zero (a fresh LoRA adapter's B is zero, so its A's gradient is), where a
    /// plain relative error is undefined and any floor on the denominator would be a scale the statistic does not know.
    /// It lies in [0, 2] and stays scale-free: an answer scaled by k is |k − 1| / max(1, |k|) away (zeroed: 1), and
    /// anything non-zero where the recomputation is exactly zero is 1 away, however small.
    /// </summary>
    public static double RelativeToLarger(Tensor expected, Tensor actual, Tensor? allowance = null) => Compute(expected, actual, allowance, againstLarger: true);

    private static double Compute(Tensor expected, Tensor actual, Tensor? allowance, bool againstLarger)
    {
        if (!expected.shape.SequenceEqual(actual.shape)) return double.PositiveInfinity;
        using var scope = NewDisposeScope();
        var e = expected.to_type(ScalarType.Float64);
        var a = actual.to_type(ScalarType.Float64);
        var difference = (a - e).abs();
        if (allowance is not null) difference = (difference - allowance.to_type(ScalarType.Float64)).clamp_min(0);
        var error = difference.norm().item<double>();
        var scale = e.norm().item<double>();
        double relative;
        if (againstLarger)
        {
            var larger = Math.Max(scale, a.norm().item<double>());
            relative = larger == 0 ? 0 : error / larger;
        }
        else
        {
            relative = error / Math.Max(scale, 1e-12);
        }
        return double.IsFinite(relative) ? relative : double.PositiveInfinity;
    }
}
