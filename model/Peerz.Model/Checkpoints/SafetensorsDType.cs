using TorchSharp;

namespace Peerz.Model.Checkpoints;

/// <summary>The safetensors dtype names Peerz reads and writes, with their element sizes.</summary>
public enum SafetensorsDType
{
    F32,
    F16,
    BF16,
    I8,
}

public static class SafetensorsDTypes
{
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        switch (name)
        {
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            case "I8": dtype = SafetensorsDType.I8; return true;
            default: dtype = default; return false;
        }
    }

    public static string Name(this SafetensorsDType dtype) => dtype.ToString();

    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static torch.ScalarType ToScalarType(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => torch.ScalarType.Float32,
        SafetensorsDType.F16 => torch.ScalarType.Float16,
        SafetensorsDType.BF16 => torch.ScalarType.BFloat16,
        SafetensorsDType.I8 => torch.ScalarType.Int8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static SafetensorsDType FromScalarType(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float32 => SafetensorsDType.F32,
        torch.ScalarType.Float16 => SafetensorsDType.F16,
        torch.ScalarType.BFloat16 => SafetensorsDType.BF16,
        torch.ScalarType.Int8 => SafetensorsDType.I8,
        _ => throw new ArgumentException($"dtype {type} cannot be stored by Peerz", nameof(type)),
    };
}
