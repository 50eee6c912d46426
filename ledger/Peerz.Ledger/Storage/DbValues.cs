using System.Globalization;
using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Ledger.Storage;

/// <summary>How chain values are stored: addresses as lowercase hex, uint256 amounts and nonces as decimal text.</summary>
internal static class DbValues
{
    public static string Key(Address address) => address.ToString().ToLowerInvariant();

    public static string Text(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    public static BigInteger Amount(string text) => BigInteger.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
}
