using Peerz.P2P.Encoding;

namespace Peerz.P2P.Noise;

/// <summary>libp2p NoiseHandshakePayload { identity_key = 1; identity_sig = 2; extensions = 4 (ignored) }.</summary>
internal sealed record NoiseHandshakePayload(byte[] IdentityKey, byte[] IdentitySignature)
{
    public static readonly byte[] SignaturePrefix = "noise-libp2p-static-key:"u8.ToArray();

    public byte[] Encode() => new ProtoWriter().WriteBytes(1, IdentityKey).WriteBytes(2, IdentitySignature).ToArray();

    public static NoiseHandshakePayload Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        byte[]? key = null, signature = null;
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 2)
            {
                key = reader.ReadBytes().ToArray();
            }
            else if (field == 2 && wire == 2)
            {
                signature = reader.ReadBytes().ToArray();
            }
            else
            {
                reader.Skip(wire);
            }
        }
        return new NoiseHandshakePayload(
            key ?? throw new FormatException("noise payload lacks identity_key"),
            signature ?? throw new FormatException("noise payload lacks identity_sig"));
    }
}
