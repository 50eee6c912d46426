using Peerz.P2P.Encoding;

namespace Peerz.P2P.Relay;

/// <summary>
/// Limits a relay puts on each relayed connection (circuit-v2 Limit): its duration in seconds and the bytes it
/// may carry in each direction; null means no limit of that kind.
/// </summary>
public sealed record RelayLimit(uint? DurationSeconds, ulong? DataBytes)
{
    internal byte[] Encode()
    {
        var writer = new ProtoWriter();
        if (DurationSeconds is { } duration)
        {
            writer.WriteVarint(1, duration);
        }
        if (DataBytes is { } data)
        {
            writer.WriteVarint(2, data);
        }
        return writer.ToArray();
    }

    internal static RelayLimit Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        uint? duration = null;
        ulong? bytes = null;
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1 when wireType == 0:
                    duration = (uint)reader.ReadVarint();
                    break;
                case 2 when wireType == 0:
                    bytes = reader.ReadVarint();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        return new RelayLimit(duration, bytes);
    }
}
