using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Peerz.P2P.Kademlia.Routing;

/// <summary>
/// A point in the 256-bit Kademlia keyspace: SHA-256 of a record key or of a peer id's multihash bytes
/// (kad-dht spec, "Distance"). Held as four big-endian words so XOR comparisons avoid allocation.
/// </summary>
public readonly record struct KadKey(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public static KadKey FromKey(ReadOnlySpan<byte> key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(key, hash);
        return FromHash(hash);
    }

    public static KadKey FromHash(ReadOnlySpan<byte> hash) => new(
        BinaryPrimitives.ReadUInt64BigEndian(hash),
        BinaryPrimitives.ReadUInt64BigEndian(hash[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(hash[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(hash[24..]));

    public KadKey Xor(KadKey other) => new(W0 ^ other.W0, W1 ^ other.W1, W2 ^ other.W2, W3 ^ other.W3);

    /// <summary>Number of leading bits shared with <paramref name="other"/> (256 when equal).</summary>
    public int CommonPrefixLength(KadKey other)
    {
        var d = Xor(other);
        if (d.W0 != 0) return BitOperations.LeadingZeroCount(d.W0);
        if (d.W1 != 0) return 64 + BitOperations.LeadingZeroCount(d.W1);
        if (d.W2 != 0) return 128 + BitOperations.LeadingZeroCount(d.W2);
        if (d.W3 != 0) return 192 + BitOperations.LeadingZeroCount(d.W3);
        return 256;
    }

    /// <summary>Orders <paramref name="a"/> and <paramref name="b"/> by XOR distance to this key.</summary>
    public int CompareDistance(KadKey a, KadKey b)
    {
        var c = (a.W0 ^ W0).CompareTo(b.W0 ^ W0);
        if (c != 0) return c;
        c = (a.W1 ^ W1).CompareTo(b.W1 ^ W1);
        if (c != 0) return c;
        c = (a.W2 ^ W2).CompareTo(b.W2 ^ W2);
        return c != 0 ? c : (a.W3 ^ W3).CompareTo(b.W3 ^ W3);
    }
}
