using Peerz.P2P.Encoding;

namespace Peerz.P2P.Relay.Wire;

/// <summary>
/// A libp2p signed envelope (RFC 0002): public key, payload type, payload, and a signature over
/// varint-prefixed (domain, payload type, payload), so a signature made for one domain is useless in another.
/// </summary>
internal sealed record SignedEnvelope(byte[] PublicKey, byte[] PayloadType, byte[] Payload, byte[] Signature)
{
    public static SignedEnvelope Seal(Identity identity, string domain, byte[] payloadType, byte[] payload) =>
        new(identity.PublicKeyProto, payloadType, payload, identity.Sign(SignedData(domain, payloadType, payload)));

    /// <summary>The signer, when the signature is valid for <paramref name="domain"/>; null otherwise.</summary>
    public PeerId? Verify(string domain)
    {
        if (!Identity.Verify(PublicKey, SignedData(domain, PayloadType, Payload), Signature))
        {
            return null;
        }
        return PeerId.FromPublicKey(PublicKey);
    }

    public byte[] Encode() => new ProtoWriter()
        .WriteBytes(1, PublicKey)
        .WriteBytes(2, PayloadType)
        .WriteBytes(3, Payload)
        .WriteBytes(5, Signature)
        .ToArray();

    public static SignedEnvelope Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        byte[]? publicKey = null, payloadType = null, payload = null, signature = null;
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1 when wireType == 2:
                    publicKey = reader.ReadBytes().ToArray();
                    break;
                case 2 when wireType == 2:
                    payloadType = reader.ReadBytes().ToArray();
                    break;
                case 3 when wireType == 2:
                    payload = reader.ReadBytes().ToArray();
                    break;
                case 5 when wireType == 2:
                    signature = reader.ReadBytes().ToArray();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        if (publicKey is null || payloadType is null || payload is null || signature is null)
        {
            throw new FormatException("signed envelope lacks a field");
        }
        return new SignedEnvelope(publicKey, payloadType, payload, signature);
    }

    private static byte[] SignedData(string domain, byte[] payloadType, byte[] payload)
    {
        var domainBytes = System.Text.Encoding.UTF8.GetBytes(domain);
        var data = new byte[Varint.GetLength((ulong)domainBytes.Length) + domainBytes.Length
            + Varint.GetLength((ulong)payloadType.Length) + payloadType.Length
            + Varint.GetLength((ulong)payload.Length) + payload.Length];
        var position = 0;
        foreach (var part in new[] { domainBytes, payloadType, payload })
        {
            position += Varint.Write((ulong)part.Length, data.AsSpan(position));
            part.CopyTo(data.AsSpan(position));
            position += part.Length;
        }
        return data;
    }
}
