using Peerz.P2P.Encoding;

namespace Peerz.P2P.Relay.Wire;

/// <summary>circuit-v2 HopMessage (proto2): RESERVE and CONNECT requests to a relay, STATUS answers from it.</summary>
internal sealed record HopMessage(
    HopMessageType Type,
    RelayPeerInfo? Peer = null,
    ReservationInfo? Reservation = null,
    RelayLimit? Limit = null,
    RelayStatus? Status = null)
{
    public static HopMessage Answer(RelayStatus status, ReservationInfo? reservation = null, RelayLimit? limit = null) =>
        new(HopMessageType.Status, Reservation: reservation, Limit: limit, Status: status);

    public byte[] Encode()
    {
        var writer = new ProtoWriter().WriteVarint(1, (ulong)Type);
        if (Peer is not null)
        {
            writer.WriteBytes(2, Peer.Encode());
        }
        if (Reservation is not null)
        {
            writer.WriteBytes(3, Reservation.Encode());
        }
        if (Limit is not null)
        {
            writer.WriteBytes(4, Limit.Encode());
        }
        if (Status is { } status)
        {
            writer.WriteVarint(5, (ulong)status);
        }
        return writer.ToArray();
    }

    /// <summary>Decodes a message; anything malformed (including a missing type) is a <see cref="FormatException"/>.</summary>
    public static HopMessage Decode(ReadOnlySpan<byte> data, int maxAddresses)
    {
        var reader = new ProtoReader(data);
        HopMessageType? type = null;
        RelayPeerInfo? peer = null;
        ReservationInfo? reservation = null;
        RelayLimit? limit = null;
        RelayStatus? status = null;
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1 when wireType == 0:
                    var value = reader.ReadVarint();
                    type = value <= (ulong)HopMessageType.Status ? (HopMessageType)value : throw new FormatException($"unknown hop message type {value}");
                    break;
                case 2 when wireType == 2:
                    peer = RelayPeerInfo.Decode(reader.ReadBytes(), maxAddresses);
                    break;
                case 3 when wireType == 2:
                    reservation = ReservationInfo.Decode(reader.ReadBytes(), maxAddresses);
                    break;
                case 4 when wireType == 2:
                    limit = RelayLimit.Decode(reader.ReadBytes());
                    break;
                case 5 when wireType == 0:
                    status = (RelayStatus)(int)Math.Min(reader.ReadVarint(), int.MaxValue);
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        return new HopMessage(type ?? throw new FormatException("hop message without a type"), peer, reservation, limit, status);
    }
}
