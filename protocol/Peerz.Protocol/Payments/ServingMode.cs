namespace Peerz.Protocol.Payments;

/// <summary>
/// How a provider computed a response, as signed in its receipt (<c>uint8 servingMode</c>): the low nibble is the
/// compute dtype (0 float32, 1 float16, 2 bfloat16), the high nibble the weight quantization (0 none, 1 int8, 2 nf4).
/// The verifier judges a receipt at the tolerance of the mode it states, never at a self-announced one.
/// </summary>
public readonly record struct ServingMode(string DType, string Quantization)
{
    public static readonly ServingMode Float32 = new("float32", "none");

    private static readonly string[] DTypes = ["float32", "float16", "bfloat16"];
    private static readonly string[] Quantizations = ["none", "int8", "nf4"];

    /// <exception cref="ArgumentException">The dtype or quantization has no code.</exception>
    public byte Encode()
    {
        var dtype = Array.IndexOf(DTypes, DType);
        var quantization = Array.IndexOf(Quantizations, Quantization);
        if (dtype < 0) throw new ArgumentException($"dtype '{DType}' has no serving-mode code (use {string.Join(", ", DTypes)})");
        if (quantization < 0) throw new ArgumentException($"quantization '{Quantization}' has no serving-mode code (use {string.Join(", ", Quantizations)})");
        return (byte)((quantization << 4) | dtype);
    }

    /// <summary>The mode a receipt states, or null for a code no provider can have signed honestly.</summary>
    public static ServingMode? Decode(byte code)
    {
        int dtype = code & 0x0f, quantization = code >> 4;
        return dtype < DTypes.Length && quantization < Quantizations.Length ? new ServingMode(DTypes[dtype], Quantizations[quantization]) : null;
    }

    public override string ToString() => Quantization == "none" ? DType : $"{DType}+{Quantization}";
}
