namespace Peerz.Verifier.Verification;

/// <summary>
/// How far an honest provider's output may be from the verifier's float32 recomputation, as relative L2 error
/// ‖provider − recomputed‖ / ‖recomputed‖, by the provider's announced serving mode. Calibrated from the spread of
/// honest results (docs/verification.md): each bound is several times the largest honest error measured, and far
/// below what any perturbation that changes the model's behaviour produces.
/// </summary>
public sealed record VerificationTolerances
{
    public double Float32 { get; init; } = 1e-3;
    public double Float16 { get; init; } = 2e-2;
    public double BFloat16 { get; init; } = 6e-2;
    public double Int8 { get; init; } = 8e-2;

    /// <summary>The bound for a provider serving in <paramref name="dtype"/> with <paramref name="quantization"/> (the looser of the two).</summary>
    public double For(string dtype, string quantization)
    {
        var byDType = dtype switch
        {
            "bfloat16" => BFloat16,
            "float16" => Float16,
            _ => Float32,
        };
        return quantization == "int8" ? Math.Max(byDType, Int8) : byDType;
    }
}
