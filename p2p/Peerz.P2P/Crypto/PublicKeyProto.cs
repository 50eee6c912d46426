using Peerz.P2P.Encoding;

namespace Peerz.P2P.Crypto;

/// <summary>The libp2p crypto.pb PublicKey/PrivateKey messages (KeyType Ed25519 = 1).</summary>
internal static class PublicKeyProto
{
    public const int Ed25519Type = 1;

    public static byte[] Encode(ReadOnlySpan<byte> keyData) =>
        new ProtoWriter().WriteVarint(1, Ed25519Type).WriteBytes(2, keyData).ToArray();

    /// <summary>Returns the key bytes of an Ed25519 key message; throws for other key types.</summary>
    public static byte[] DecodeEd25519(ReadOnlySpan<byte> proto, int expectedLength)
    {
        var reader = new ProtoReader(proto);
        ulong? type = null;
        byte[]? data = null;
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 0)
            {
                type = reader.ReadVarint();
            }
            else if (field == 2 && wire == 2)
            {
                data = reader.ReadBytes().ToArray();
            }
            else
            {
                reader.Skip(wire);
            }
        }
        if (type != Ed25519Type)
        {
            throw new NotSupportedException($"key type {type?.ToString() ?? "missing"} is not supported (only Ed25519)");
        }
        if (data is null || data.Length != expectedLength)
        {
            throw new FormatException($"Ed25519 key must be {expectedLength} bytes");
        }
        return data;
    }
}
