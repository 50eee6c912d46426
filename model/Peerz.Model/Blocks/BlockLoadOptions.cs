using TorchSharp;

namespace Peerz.Model.Blocks;

/// <summary>How a provider (or the local reference) holds weights in memory.</summary>
public sealed record BlockLoadOptions
{
    public static readonly BlockLoadOptions Default = new();

    /// <summary>Compute dtype: Float32, BFloat16 or Float16. Checkpoint weights are converted to it on load.</summary>
    public torch.ScalarType DType { get; init; } = torch.ScalarType.Float32;

    /// <summary>
    /// Int8 stores linear weights as int8 with one float scale per output row (Petals-style 8-bit weights); Nf4 as 4-bit
    /// NormalFloat codes with an 8-bit scale per 64 weights (QLoRA, <see cref="Nf4Weight"/>).
    /// </summary>
    public WeightQuantization Quantization { get; init; } = WeightQuantization.None;

    public static torch.ScalarType ParseDType(string name) => name.ToLowerInvariant() switch
    {
        "float32" or "fp32" or "f32" => torch.ScalarType.Float32,
        "bfloat16" or "bf16" => torch.ScalarType.BFloat16,
        "float16" or "fp16" or "f16" or "half" => torch.ScalarType.Float16,
        _ => throw new ArgumentException($"unknown dtype '{name}' (use float32, bfloat16 or float16)"),
    };

    /// <summary>The name <see cref="ParseDType"/> reads back: float32, bfloat16 or float16.</summary>
    public static string DTypeName(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float32 => "float32",
        torch.ScalarType.BFloat16 => "bfloat16",
        torch.ScalarType.Float16 => "float16",
        _ => dtype.ToString().ToLowerInvariant(),
    };
}

public enum WeightQuantization
{
    None,
    Int8,
    Nf4,
}
