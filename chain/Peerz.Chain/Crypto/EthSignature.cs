using System.Numerics;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Crypto;

/// <summary>A secp256k1 signature with its recovery id (0 or 1).</summary>
public sealed record EthSignature(BigInteger R, BigInteger S, int RecoveryId)
{
    public const int Length = 65;

    /// <summary>The 65-byte r || s || v form with v = 27 + recovery id, as ecrecover and ethers expect.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        BigEndian.WritePadded(R, bytes.AsSpan(0, 32));
        BigEndian.WritePadded(S, bytes.AsSpan(32, 32));
        bytes[64] = (byte)(27 + RecoveryId);
        return bytes;
    }

    public string ToHex() => Hex.Encode(ToBytes());

    /// <summary>Parses r || s || v with v in {0, 1, 27, 28}.</summary>
    public static EthSignature FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new FormatException($"A signature is {Length} bytes (r, s, v), got {bytes.Length}.");
        }

        int recoveryId = bytes[64] switch
        {
            0 or 27 => 0,
            1 or 28 => 1,
            _ => throw new FormatException($"Signature v must be 27 or 28 (or 0/1), got {bytes[64]}."),
        };
        return new EthSignature(BigEndian.ToBigInteger(bytes[..32]), BigEndian.ToBigInteger(bytes[32..64]), recoveryId);
    }
}
