using System.Numerics;

namespace Peerz.Chain.Primitives;

/// <summary>Unsigned big-endian integers without leading zeros, as RLP and signatures need.</summary>
public static class BigEndian
{
    /// <summary>Minimal big-endian bytes of a non-negative integer (empty for zero).</summary>
    public static byte[] ToMinimalBytes(BigInteger value)
    {
        if (value.Sign < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Value must be non-negative.");
        }

        return value.IsZero ? [] : value.ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    /// <summary>Writes a non-negative integer into exactly <paramref name="destination"/>.Length bytes, left-padded.</summary>
    public static void WritePadded(BigInteger value, Span<byte> destination)
    {
        var bytes = ToMinimalBytes(value);
        if (bytes.Length > destination.Length)
        {
            throw new OverflowException($"Value needs {bytes.Length} bytes, only {destination.Length} available.");
        }

        destination.Clear();
        bytes.CopyTo(destination[(destination.Length - bytes.Length)..]);
    }

    public static BigInteger ToBigInteger(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: true);
}
