using Peerz.P2P.Encoding;

namespace Peerz.P2P.Dcutr;

/// <summary>
/// The DCUtR protobuf (libp2p/specs relay/DCUtR.md): HolePunch { type = 1 (CONNECT = 100, SYNC = 300);
/// repeated bytes ObsAddrs = 2 }. Addresses stay raw bytes; the receiver decides which it can dial.
/// </summary>
public sealed record HolePunchMessage(HolePunchType Type, IReadOnlyList<byte[]> ObservedAddresses)
{
    public const string ProtocolId = "/libp2p/dcutr";

    public byte[] Encode()
    {
        var writer = new ProtoWriter().WriteVarint(1, (ulong)Type);
        foreach (var address in ObservedAddresses)
        {
            writer.WriteBytes(2, address);
        }
        return writer.ToArray();
    }

    /// <summary>Decodes; malformed protobuf throws <see cref="FormatException"/>. The caller bounds the size.</summary>
    public static HolePunchMessage Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        var type = (HolePunchType)0;
        var addresses = new List<byte[]>();
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == 0:
                    type = (HolePunchType)reader.ReadVarint();
                    break;
                case 2 when wire == 2:
                    addresses.Add(reader.ReadBytes().ToArray());
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new HolePunchMessage(type, addresses);
    }
}

public enum HolePunchType
{
    Connect = 100,
    Sync = 300,
}
