using System.Buffers;
using Peerz.P2P.Kademlia.Wire;

namespace Peerz.P2P.Kademlia.Records;

/// <summary>
/// The value of a Peerz DHT record: a payload signed by its publisher's Ed25519 key, with a sequence
/// number (higher replaces lower) and an expiry. Encoded as protobuf:
/// <c>publicKey = 1</c> (libp2p PublicKey protobuf: Type = 1 Ed25519, Data = 2), <c>payload = 2</c>,
/// <c>sequence = 3</c>, <c>expiresAtUnixMs = 4</c>, <c>signature = 5</c>. The signature covers
/// <c>"peerz-dht-record:" || protobuf{key = 1, payload = 2, sequence = 3, expiresAtUnixMs = 4}</c>,
/// so a record cannot be replayed under another key.
/// </summary>
public sealed record PeerzSignedRecord(byte[] PublicKey, byte[] Payload, ulong Sequence, DateTimeOffset ExpiresAt, byte[] Signature)
{
    public const int Ed25519KeyLength = 32;
    private const int KeyTypeEd25519 = 1;
    private static readonly byte[] SignatureDomain = System.Text.Encoding.ASCII.GetBytes("peerz-dht-record:");

    /// <summary>Signs a record for <paramref name="key"/> with the publisher's libp2p identity.</summary>
    public static PeerzSignedRecord Create(Identity publisher, ReadOnlySpan<byte> key, byte[] payload, ulong sequence, DateTimeOffset expiresAt) =>
        new(DecodePublicKey(publisher.PublicKeyProto), payload, sequence, expiresAt,
            publisher.Sign(SignedBytes(key, payload, sequence, expiresAt)));

    /// <summary>The peer whose key signed this record.</summary>
    public PeerId Publisher => PeerId.FromPublicKey(EncodePublicKey(PublicKey));

    public bool VerifySignature(ReadOnlySpan<byte> key) =>
        Identity.Verify(EncodePublicKey(PublicKey), SignedBytes(key, Payload, Sequence, ExpiresAt), Signature);

    public byte[] Encode()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new ProtoWriter(output);
        var keyProto = EncodePublicKey(PublicKey);
        writer.WriteBytesField(1, keyProto);
        writer.WriteBytesField(2, Payload);
        writer.WriteUInt64Field(3, Sequence);
        writer.WriteUInt64Field(4, (ulong)ExpiresAt.ToUnixTimeMilliseconds());
        writer.WriteBytesField(5, Signature);
        return output.WrittenSpan.ToArray();
    }

    /// <exception cref="InvalidRecordException">Malformed encoding.</exception>
    public static PeerzSignedRecord Decode(ReadOnlySpan<byte> value)
    {
        try
        {
            var reader = new ProtoReader(value);
            byte[] publicKey = [], payload = [], signature = [];
            ulong sequence = 0, expires = 0;
            while (reader.TryReadTag(out var field, out var wireType))
            {
                switch (field)
                {
                    case 1: publicKey = DecodePublicKey(reader.ReadBytes(wireType)); break;
                    case 2: payload = reader.ReadBytes(wireType).ToArray(); break;
                    case 3: sequence = reader.ReadUInt64(wireType); break;
                    case 4: expires = reader.ReadUInt64(wireType); break;
                    case 5: signature = reader.ReadBytes(wireType).ToArray(); break;
                    default: reader.Skip(wireType); break;
                }
            }
            if (expires > (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
                throw new InvalidRecordException("Peerz record expiry out of range");
            return new PeerzSignedRecord(publicKey, payload, sequence, DateTimeOffset.FromUnixTimeMilliseconds((long)expires), signature);
        }
        catch (DhtProtocolException e)
        {
            throw new InvalidRecordException($"malformed Peerz record: {e.Message}");
        }
    }

    private static byte[] SignedBytes(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload, ulong sequence, DateTimeOffset expiresAt)
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write(SignatureDomain);
        var writer = new ProtoWriter(output);
        writer.WriteBytesField(1, key);
        writer.WriteBytesField(2, payload);
        writer.WriteUInt64Field(3, sequence);
        writer.WriteUInt64Field(4, (ulong)expiresAt.ToUnixTimeMilliseconds());
        return output.WrittenSpan.ToArray();
    }

    private static byte[] EncodePublicKey(byte[] publicKey)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new ProtoWriter(output);
        // libp2p's PublicKey message marks both fields required, so Type is written even though it is non-zero anyway.
        writer.WriteUInt64Field(1, KeyTypeEd25519);
        writer.WriteBytesField(2, publicKey);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] DecodePublicKey(ReadOnlySpan<byte> proto)
    {
        var reader = new ProtoReader(proto);
        ulong type = ulong.MaxValue;
        byte[] data = [];
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field)
            {
                case 1: type = reader.ReadUInt64(wireType); break;
                case 2: data = reader.ReadBytes(wireType).ToArray(); break;
                default: reader.Skip(wireType); break;
            }
        }
        if (type != KeyTypeEd25519 || data.Length != Ed25519KeyLength)
            throw new InvalidRecordException("Peerz record publisher key is not an Ed25519 public key");
        return data;
    }
}
