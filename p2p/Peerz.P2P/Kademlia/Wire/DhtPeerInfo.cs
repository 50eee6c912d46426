namespace Peerz.P2P.Kademlia.Wire;

/// <summary>Message.Peer: a peer id (multihash bytes) and its binary multiaddrs.</summary>
public sealed record DhtPeerInfo(byte[] Id, IReadOnlyList<byte[]> Addresses, DhtConnectionType Connection = DhtConnectionType.NotConnected)
{
    private const int FieldId = 1;
    private const int FieldAddrs = 2;
    private const int FieldConnection = 3;

    public int EncodedSize()
    {
        var size = ProtoSize.BytesField(FieldId, Id.Length) + ProtoSize.UInt64Field(FieldConnection, (ulong)Connection);
        foreach (var addr in Addresses)
            size += ProtoSize.RepeatedBytes(FieldAddrs, addr.Length);
        return size;
    }

    public void WriteTo(ProtoWriter writer)
    {
        writer.WriteBytesField(FieldId, Id);
        foreach (var addr in Addresses)
            writer.WriteRepeatedBytes(FieldAddrs, addr);
        writer.WriteUInt64Field(FieldConnection, (ulong)Connection);
    }

    public static DhtPeerInfo Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        byte[] id = [];
        var addrs = new List<byte[]>();
        var connection = DhtConnectionType.NotConnected;
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field)
            {
                case FieldId:
                    id = reader.ReadBytes(wireType).ToArray();
                    break;
                case FieldAddrs:
                    addrs.Add(reader.ReadBytes(wireType).ToArray());
                    break;
                case FieldConnection:
                    // Unknown connection types are only a hint; treat them as "not connected".
                    var raw = reader.ReadUInt64(wireType);
                    connection = raw <= (ulong)DhtConnectionType.CannotConnect ? (DhtConnectionType)raw : DhtConnectionType.NotConnected;
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        if (id.Length == 0)
            throw new DhtProtocolException("DHT peer entry without an id");
        return new DhtPeerInfo(id, addrs, connection);
    }
}
