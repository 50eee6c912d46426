using System.CommandLine;
using Peerz.Model.Blocks;

namespace Peerz.Hosting;

/// <summary>The options of commands that load a model (which checkpoint, dtype, quantization), defined once so they agree everywhere.</summary>
public static class ModelOptions
{
    public static Option<string?> Model() => new("--model") { Description = "Hugging Face checkpoint directory (default: the embedded tiny model, generated on first use)" };

    public static Option<string> DType() => new("--dtype") { Description = "Compute dtype: float32, bfloat16 or float16", DefaultValueFactory = _ => "float32" };

    public static Option<string> Quant() => new("--quant") { Description = "Weight quantization: none, int8 (per-row absmax) or nf4 (4-bit NormalFloat, blocks of 64)", DefaultValueFactory = _ => "none" };

    public static BlockLoadOptions LoadOptions(string dtype, string quant)
    {
        try
        {
            return new BlockLoadOptions
            {
                DType = BlockLoadOptions.ParseDType(dtype),
                Quantization = quant.ToLowerInvariant() switch
                {
                    "none" => WeightQuantization.None,
                    "int8" => WeightQuantization.Int8,
                    "nf4" => WeightQuantization.Nf4,
                    _ => throw new ArgumentException($"unknown quantization '{quant}' (use none, int8 or nf4)"),
                },
            };
        }
        catch (ArgumentException e)
        {
            throw new UserErrorException(e.Message);
        }
    }
}
