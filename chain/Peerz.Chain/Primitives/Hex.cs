using System.Globalization;
using System.Numerics;

namespace Peerz.Chain.Primitives;

/// <summary>0x-prefixed hexadecimal as used by Ethereum JSON-RPC and tooling.</summary>
public static class Hex
{
    /// <summary>Lower-case hex with a 0x prefix.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexStringLower(bytes);

    /// <summary>Parses hex with or without a 0x prefix; throws <see cref="FormatException"/> naming the problem.</summary>
    public static byte[] Decode(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        var digits = Strip(hex);
        if (digits.Length % 2 != 0)
        {
            throw new FormatException($"Hex string has an odd number of digits ({digits.Length}).");
        }

        try
        {
            return Convert.FromHexString(digits);
        }
        catch (FormatException)
        {
            throw new FormatException($"Invalid hex string '{Preview(hex)}'.");
        }
    }

    /// <summary>Parses hex that must decode to exactly <paramref name="length"/> bytes.</summary>
    public static byte[] Decode(string hex, int length)
    {
        var bytes = Decode(hex);
        if (bytes.Length != length)
        {
            throw new FormatException($"Expected {length} bytes of hex, got {bytes.Length}.");
        }

        return bytes;
    }

    /// <summary>JSON-RPC quantity: 0x-prefixed, no leading zeros, "0x0" for zero.</summary>
    public static string EncodeQuantity(BigInteger value)
    {
        if (value.Sign < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Quantities are unsigned.");
        }

        return value.IsZero ? "0x0" : "0x" + value.ToString("x", CultureInfo.InvariantCulture).TrimStart('0');
    }

    /// <summary>Parses a JSON-RPC quantity (0x-prefixed, unsigned, at most 256 bits).</summary>
    public static BigInteger DecodeQuantity(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (!hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || hex.Length < 3 || hex.Length > 66)
        {
            throw new FormatException($"Invalid quantity '{Preview(hex)}'.");
        }

        foreach (var c in hex.AsSpan(2))
        {
            if (!char.IsAsciiHexDigit(c))
            {
                throw new FormatException($"Invalid quantity '{Preview(hex)}'.");
            }
        }

        return BigInteger.Parse("0" + hex[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }

    private static string Strip(string hex) =>
        hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;

    private static string Preview(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
