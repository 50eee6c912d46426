using Peerz.P2P.Encoding;

namespace Peerz.P2P.Relay.Wire;

/// <summary>
/// circuit-v2 ReservationVoucher: the relay's signed statement that <see cref="Peer"/> holds a reservation on
/// <see cref="Relay"/> until <see cref="Expiration"/> (unix seconds). Sent inside a signed envelope with domain
/// "libp2p-relay-rsvp" and payload type 0x0302.
/// </summary>
internal sealed record ReservationVoucher(PeerId Relay, PeerId Peer, ulong Expiration)
{
    public const string Domain = "libp2p-relay-rsvp";
    public static readonly byte[] PayloadType = [0x03, 0x02];

    public byte[] Seal(Identity relay) => SignedEnvelope.Seal(relay, Domain, PayloadType, Encode()).Encode();

    /// <summary>Decodes and checks a sealed voucher; throws <see cref="FormatException"/> unless its relay signed it.</summary>
    public static ReservationVoucher Open(ReadOnlySpan<byte> sealedVoucher)
    {
        var envelope = SignedEnvelope.Decode(sealedVoucher);
        if (!envelope.PayloadType.AsSpan().SequenceEqual(PayloadType))
        {
            throw new FormatException("voucher envelope has the wrong payload type");
        }
        var signer = envelope.Verify(Domain) ?? throw new FormatException("voucher signature is invalid");
        var voucher = Decode(envelope.Payload);
        if (signer != voucher.Relay)
        {
            throw new FormatException("voucher is not signed by its relay");
        }
        return voucher;
    }

    public byte[] Encode() => new ProtoWriter()
        .WriteBytes(1, Relay.Bytes)
        .WriteBytes(2, Peer.Bytes)
        .WriteVarint(3, Expiration)
        .ToArray();

    public static ReservationVoucher Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        PeerId? relay = null, peer = null;
        ulong? expiration = null;
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1 when wireType == 2:
                    relay = RelayWire.DecodePeerId(reader.ReadBytes());
                    break;
                case 2 when wireType == 2:
                    peer = RelayWire.DecodePeerId(reader.ReadBytes());
                    break;
                case 3 when wireType == 0:
                    expiration = reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        if (relay is null || peer is null || expiration is null)
        {
            throw new FormatException("voucher lacks a field");
        }
        return new ReservationVoucher(relay, peer, expiration.Value);
    }
}
