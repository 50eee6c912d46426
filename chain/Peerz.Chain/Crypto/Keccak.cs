using Org.BouncyCastle.Crypto.Digests;

namespace Peerz.Chain.Crypto;

/// <summary>Keccak-256 (the pre-standard SHA-3 padding Ethereum uses, not FIPS 202 SHA3-256).</summary>
public static class Keccak
{
    public const int HashLength = 32;

    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var output = new byte[HashLength];
        Hash(data, output);
        return output;
    }

    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var digest = new KeccakDigest(256);
        digest.BlockUpdate(data);
        digest.DoFinal(destination);
    }

    public static byte[] Hash(string utf8) => Hash(System.Text.Encoding.UTF8.GetBytes(utf8));
}
