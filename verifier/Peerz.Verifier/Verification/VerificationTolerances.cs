namespace Peerz.Verifier.Verification;

/// <summary>
/// How far an honest provider's output may be from the verifier's float32 recomputation, as relative L2 error
/// ‖provider − recomputed‖ / ‖recomputed‖ beyond the output compression's rounding (<see cref="Recomputed.DivergenceOf"/>),
/// by the serving mode the provider signed. Calibrated from the spread of honest results across thread counts, batched
/// and lone decode, prompt chunking, output compression and depth (docs/verification.md, `bench tolerance`): each bound
/// is at least 4.9× the largest honest error measured (15–41 unit roundoffs of its mode, honest results are 2–3), and
/// far below what any perturbation that changes the model's behaviour produces.
/// </summary>
public sealed record VerificationTolerances
{
    public double Float32 { get; init; } = 1e-3;
    public double Float16 { get; init; } = 2e-2;
    public double BFloat16 { get; init; } = 6e-2;
    public double Int8 { get; init; } = 8e-2;

    /// <summary>
    /// NF4 receipts are replayed with the provider's own NF4 weights (<see cref="SpanRecomputer.ReplayWeights"/>), so
    /// what is left is kernel order, as for float32: honest NF4 sessions on the default model measured at most 5.7e-7
    /// (Nf4ReplayTests, docs/verification.md).
    /// </summary>
    public double Nf4 { get; init; } = 1e-3;

    /// <summary>
    /// Backward answers, for every gradient they carry (the input's, the deep prompts', each LoRA A and B), measured with
    /// <see cref="Divergence.RelativeToLarger"/>. A backward pass rounds twice as many operations as a forward pass and a
    /// weight gradient sums products over every token, so honest reduced-precision gradients are 5–7× farther from the
    /// float32 replay than forward outputs (12–20 u against 2–3 u): BackwardGradientCalibrationTests measured on the
    /// default model at most 5.9e-2 (bfloat16), 7.9e-2 (int8 weights) and 5.7e-3 (float16), which left the forward bounds
    /// 1.01× above honest LoRA gradients. Each bound is about 4× the largest honest gradient error measured (docs/verification.md).
    /// Float32 and NF4 replay up to kernel order, as for outputs (measured exactly equal on the same kernels).
    /// </summary>
    public double Float32Gradients { get; init; } = 1e-3;

    public double Float16Gradients { get; init; } = 2.5e-2;

    public double BFloat16Gradients { get; init; } = 0.25;

    public double Int8Gradients { get; init; } = 0.35;

    public double Nf4Gradients { get; init; } = 1e-3;

    /// <summary>
    /// Mixture-of-experts models: the router margin (<see cref="Recomputed.RouterMargin"/>) below which a token's expert
    /// choice may honestly differ between the provider and the replay, for modes replayed up to kernel order only
    /// (float32, NF4 replayed with NF4 weights): their router probabilities differ by about 1e-7
    /// (MixtureOfExpertsRoutingTests), so 1e-4 leaves three orders of magnitude for other kernels.
    /// </summary>
    public double ExactRouterMargin { get; init; } = 1e-4;

    /// <summary>
    /// The near-tie margin for a provider signing <paramref name="dtype"/> and <paramref name="quantization"/>: a signed
    /// expert choice less than this below the verifier's own top-k is accepted as rounding, one at or beyond it is a
    /// mismatch (<see cref="SignedRouting"/>), and a backward mismatch after a token of smaller router margin is not
    /// evidence. <see cref="ExactRouterMargin"/> for modes whose tolerance is float32's, the mode's own tolerance otherwise
    /// (honest bfloat16 and int8 choices measured at most 1.4e-3 from the top-k; docs/verification.md).
    /// </summary>
    public double RouterMarginFor(string dtype, string quantization)
    {
        var tolerance = For(dtype, quantization);
        return tolerance <= Float32 ? ExactRouterMargin : tolerance;
    }

    /// <summary>The bound for a provider serving in <paramref name="dtype"/> with <paramref name="quantization"/> (the looser of the two).</summary>
    public double For(string dtype, string quantization) => Looser(dtype, quantization, (Float32, Float16, BFloat16, Int8, Nf4));

    /// <summary>The bound on each gradient of a backward answer for a provider serving in <paramref name="dtype"/> with <paramref name="quantization"/> (the looser of the two).</summary>
    public double GradientsFor(string dtype, string quantization) =>
        Looser(dtype, quantization, (Float32Gradients, Float16Gradients, BFloat16Gradients, Int8Gradients, Nf4Gradients));

    private static double Looser(string dtype, string quantization, (double Float32, double Float16, double BFloat16, double Int8, double Nf4) bounds)
    {
        var byDType = dtype switch
        {
            "bfloat16" => bounds.BFloat16,
            "float16" => bounds.Float16,
            _ => bounds.Float32,
        };
        return quantization switch
        {
            "int8" => Math.Max(byDType, bounds.Int8),
            "nf4" => Math.Max(byDType, bounds.Nf4),
            _ => byDType,
        };
    }
}
