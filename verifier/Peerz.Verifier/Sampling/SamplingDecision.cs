using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// Whether a receipt is checked: HMAC-SHA256(secret, digest), read as a fraction in [0, 1), below the rate. The
/// decision is a function of the receipt alone and a secret only the verifier holds (kept in its ledger), so reporting
/// a receipt again never re-draws it, and nobody can tell in advance which receipts will be checked.
/// </summary>
public sealed class SamplingDecision(byte[] secret, double rate)
{
    public double Rate => rate;

    public bool IsSampled(byte[] digest) => Fraction(digest) < rate;

    /// <summary>The first 64 bits of the HMAC as a fraction of 2^64.</summary>
    public double Fraction(byte[] digest) => BinaryPrimitives.ReadUInt64BigEndian(HMACSHA256.HashData(secret, digest)) / 18446744073709551616.0;
}
