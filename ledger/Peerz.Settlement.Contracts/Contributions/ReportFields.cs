using System.Globalization;
using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Settlement.Contributions;

/// <summary>Parses the hex fields of reports, turning every defect into a 400 that names the field.</summary>
internal static class ReportFields
{
    public static Address Address(string? text, string name) =>
        text is not null && Peerz.Chain.Crypto.Address.TryParse(text, out var address) ? address : throw IntakeException.Malformed($"'{name}' must be a 0x address");

    public static byte[] Bytes32(string? text, string name) => Bytes(text, name, 32);

    /// <summary>A uint256 amount in PRZ wei, written as a decimal string.</summary>
    public static BigInteger Amount(string? text, string name) =>
        text is { Length: > 0 and <= 78 } && text.All(char.IsAsciiDigit) && BigInteger.Parse(text, CultureInfo.InvariantCulture) is var value && value.GetBitLength() <= 256
            ? value
            : throw IntakeException.Malformed($"'{name}' must be a decimal uint256 string");

    public static EthSignature Signature(string? text)
    {
        try
        {
            return EthSignature.FromBytes(Bytes(text, "signature", EthSignature.Length));
        }
        catch (FormatException e)
        {
            throw IntakeException.Malformed($"'signature': {e.Message}");
        }
    }

    private static byte[] Bytes(string? text, string name, int length)
    {
        if (text is null) throw IntakeException.Malformed($"'{name}' is missing");
        try
        {
            return Hex.Decode(text, length);
        }
        catch (FormatException)
        {
            throw IntakeException.Malformed($"'{name}' must be {length} bytes of 0x hex");
        }
    }
}
