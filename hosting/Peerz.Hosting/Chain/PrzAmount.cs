using System.Globalization;
using System.Numerics;

namespace Peerz.Hosting.Chain;

/// <summary>PRZ amounts as users type them ("12.5") and as the chain counts them (wei, 18 decimals), converted exactly.</summary>
public static class PrzAmount
{
    public const int Decimals = 18;

    private static readonly BigInteger WeiPerPrz = BigInteger.Pow(10, Decimals);

    /// <exception cref="UserErrorException">Not a non-negative decimal with at most 18 fractional digits.</exception>
    public static BigInteger ParseToWei(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('.');
        if (parts.Length > 2 || parts[0].Length == 0 && (parts.Length == 1 || parts[1].Length == 0)
            || !parts.All(p => p.All(char.IsAsciiDigit)) || parts.Length == 2 && parts[1].Length > Decimals)
            throw new UserErrorException($"{what} '{text}' is not an amount of PRZ (e.g. 12.5, at most {Decimals} decimals)");
        var whole = parts[0].Length == 0 ? BigInteger.Zero : BigInteger.Parse(parts[0], CultureInfo.InvariantCulture);
        var fraction = parts.Length == 2 && parts[1].Length > 0 ? BigInteger.Parse(parts[1].PadRight(Decimals, '0'), CultureInfo.InvariantCulture) : BigInteger.Zero;
        return whole * WeiPerPrz + fraction;
    }

    /// <summary>Wei as PRZ with trailing zeros trimmed, e.g. 12500000000000000000 → "12.5".</summary>
    public static string Format(BigInteger wei)
    {
        var sign = wei.Sign < 0 ? "-" : "";
        var magnitude = BigInteger.Abs(wei);
        var fraction = (magnitude % WeiPerPrz).ToString(CultureInfo.InvariantCulture).PadLeft(Decimals, '0').TrimEnd('0');
        var whole = (magnitude / WeiPerPrz).ToString(CultureInfo.InvariantCulture);
        return fraction.Length == 0 ? sign + whole : $"{sign}{whole}.{fraction}";
    }
}
