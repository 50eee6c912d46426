using Peerz.P2P.Encoding;

namespace Peerz.P2P.Relay.Wire;

/// <summary>circuit-v2 StopMessage (proto2): the relay's CONNECT to the reserved peer, and that peer's STATUS answer.</summary>
internal sealed record StopMessage(
    StopMessageType Type,
    RelayPeerInfo? Peer = null,
    RelayLimit? Limit = null,
    RelayStatus? Status = null)
{
    public static StopMessage Answer(RelayStatus status) => new(StopMessageType.Status, Status: status);

    public byte[] Encode()
    {
        var writer = new ProtoWriter().WriteVarint(1, (ulong)Type);
        if (Peer is not null)
        {
            writer.WriteBytes(2, Peer.Encode());
        }
        if (Limit is not null)
        {
            writer.WriteBytes(3, Limit.Encode());
        }
        if (Status is { } status)
        {
            writer.WriteVarint(4, (ulong)status);
        }
        return writer.ToArray();
    }

    /// <summary>Decodes a message; anything malformed (including a missing type) is a <see cref="FormatException"/>.</summary>
    public static StopMessage Decode(ReadOnlySpan<byte> data, int maxAddresses)
    {
        var reader = new ProtoReader(data);
        StopMessageType? type = null;
        RelayPeerInfo? peer = null;
        RelayLimit? limit = null;
        RelayStatus? status = null;
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1 when wireType == 0:
                    var value = reader.ReadVarint();
                    type = value <= (ulong)StopMessageType.Status ? (StopMessageType)value : throw new FormatException($"unknown stop message type {value}");
                    break;
                case 2 when wireType == 2:
                    peer = RelayPeerInfo.Decode(reader.ReadBytes(), maxAddresses);
                    break;
                case 3 when wireType == 2:
                    limit = RelayLimit.Decode(reader.ReadBytes());
                    break;
                case 4 when wireType == 0:
                    status = (RelayStatus)(int)Math.Min(reader.ReadVarint(), int.MaxValue);
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        return new StopMessage(type ?? throw new FormatException("stop message without a type"), peer, limit, status);
    }
}
