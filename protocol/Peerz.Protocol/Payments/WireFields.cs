using System.Numerics;
using Google.Protobuf;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Protocol.Payments;

/// <summary>Checked conversions of fixed-size byte fields in payment messages.</summary>
internal static class WireFields
{
    public static Address Address(ByteString bytes, string name) =>
        bytes.Length == Chain.Crypto.Address.Length ? new Address(bytes.Span) : throw new FormatException($"{name} must be a 20-byte address, got {bytes.Length} bytes");

    public static BigInteger Uint256(ByteString bytes, string name) =>
        bytes.Length <= 32 ? BigEndian.ToBigInteger(bytes.Span) : throw new FormatException($"{name} must fit in 32 bytes, got {bytes.Length}");

    public static byte[] Bytes32(ByteString bytes, string name) =>
        bytes.Length == 32 ? bytes.ToByteArray() : throw new FormatException($"{name} must be 32 bytes, got {bytes.Length}");
}
