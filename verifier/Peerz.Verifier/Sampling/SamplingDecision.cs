using System.Buffers.Binary;
using System.Security.Cryptography;
using Peerz.Chain.Contracts;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// Whether a session is checked. Its draw u = HMAC-SHA256(secret, <see cref="SessionKey"/>), read as a fraction in
/// [0, 1), is fixed per session; a session with m answered steps is checked iff u &lt; q(m) = min(1, p·(1 + f·m)), p the
/// sample rate and f the design cheat rate. Because a session of m steps holds a cheat (at rate f, independently) with
/// probability at least m·f/(1 + m·f), q(m) catches every response with at least the probability p·f a single-step
/// session gives (docs/verification.md, "Sampling math"). Since u is fixed and q grows with m, a sampled session stays
/// sampled as it grows; reporting again, or after a restart (the secret is kept in the ledger), never re-draws it, and
/// nobody without the secret can tell in advance which sessions will be checked.
/// </summary>
public sealed class SamplingDecision(byte[] secret, double rate, double designCheatRate)
{
    public double Rate => rate;

    public double DesignCheatRate => designCheatRate;

    /// <summary>q(m): the probability that a session of <paramref name="steps"/> answered steps is checked.</summary>
    public double Threshold(double steps) => Math.Min(1, rate * (1 + designCheatRate * steps));

    /// <summary>Whether the session of this receipt, answered up to its step, is checked.</summary>
    public bool IsSampled(WorkReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return Fraction(SessionKey.Of(receipt)) < Threshold(receipt.Step + 1.0);
    }

    /// <summary>The session's draw u: the first 64 bits of the HMAC as a fraction of 2^64.</summary>
    public double Fraction(byte[] sessionKey) => BinaryPrimitives.ReadUInt64BigEndian(HMACSHA256.HashData(secret, sessionKey)) / 18446744073709551616.0;
}
