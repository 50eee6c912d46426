using System.Globalization;
using System.Numerics;
using Peerz.Hosting;

namespace Peerz.Cli.Commands;

/// <summary>PRZ (and ETH) amounts as users type them: decimal with up to 18 fractional digits, converted exactly to wei.</summary>
public static class PrzAmount
{
    public const int Decimals = 18;

    private static readonly BigInteger WeiPerUnit = BigInteger.Pow(10, Decimals);

    /// <summary>"12.5" → 12500000000000000000; refuses signs, exponents, separators, more than 18 decimals and zero.</summary>
    public static BigInteger Parse(string text, string what = "amount")
    {
        var trimmed = text?.Trim() ?? "";
        var dot = trimmed.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? trimmed : trimmed[..dot];
        var fraction = dot < 0 ? "" : trimmed[(dot + 1)..];
        if ((whole.Length == 0 && fraction.Length == 0) || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit) || (dot >= 0 && fraction.Length == 0))
            throw new UserErrorException($"{what} '{text}' is not a decimal number of PRZ such as 12 or 12.5");
        if (fraction.Length > Decimals)
            throw new UserErrorException($"{what} '{text}' has more than {Decimals} decimals (1 wei = 0.{new string('0', Decimals - 1)}1 PRZ)");
        if (whole.Length > 60) throw new UserErrorException($"{what} '{text}' is too large");
        var wei = (whole.Length == 0 ? BigInteger.Zero : BigInteger.Parse(whole, NumberStyles.None, CultureInfo.InvariantCulture)) * WeiPerUnit
            + (fraction.Length == 0 ? BigInteger.Zero : BigInteger.Parse(fraction.PadRight(Decimals, '0'), NumberStyles.None, CultureInfo.InvariantCulture));
        if (wei.IsZero) throw new UserErrorException($"{what} must be more than zero");
        return wei;
    }

    /// <summary>Wei as a decimal amount without trailing zeros ("12.5", "0.000000000000000001", "3").</summary>
    public static string Format(BigInteger wei)
    {
        var sign = wei.Sign < 0 ? "-" : "";
        var magnitude = BigInteger.Abs(wei);
        var whole = BigInteger.DivRem(magnitude, WeiPerUnit, out var rest);
        var fraction = rest.IsZero ? "" : "." + rest.ToString(CultureInfo.InvariantCulture).PadLeft(Decimals, '0').TrimEnd('0');
        return sign + whole.ToString(CultureInfo.InvariantCulture) + fraction;
    }
}
