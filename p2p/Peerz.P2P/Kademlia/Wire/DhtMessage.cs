using System.Buffers;

namespace Peerz.P2P.Kademlia.Wire;

/// <summary>
/// Message of the libp2p kad-dht protobuf (specs/kad-dht/README.md, "RPC messages"):
/// type = 1, key = 2, record = 3, closerPeers = 8, providerPeers = 9, clusterLevelRaw = 10.
/// </summary>
public sealed record DhtMessage(
    DhtMessageType Type,
    byte[] Key,
    DhtRecord? Record = null,
    IReadOnlyList<DhtPeerInfo>? CloserPeers = null,
    IReadOnlyList<DhtPeerInfo>? ProviderPeers = null,
    int ClusterLevel = 0)
{
    private const int FieldType = 1;
    private const int FieldKey = 2;
    private const int FieldRecord = 3;
    private const int FieldCloserPeers = 8;
    private const int FieldProviderPeers = 9;
    private const int FieldClusterLevel = 10;

    public IReadOnlyList<DhtPeerInfo> CloserPeers { get; init; } = CloserPeers ?? [];
    public IReadOnlyList<DhtPeerInfo> ProviderPeers { get; init; } = ProviderPeers ?? [];

    public int EncodedSize()
    {
        var size = ProtoSize.UInt64Field(FieldType, (ulong)Type)
            + ProtoSize.BytesField(FieldKey, Key.Length)
            + ProtoSize.UInt64Field(FieldClusterLevel, (ulong)(uint)ClusterLevel);
        if (Record is not null)
            size += ProtoSize.RepeatedBytes(FieldRecord, Record.EncodedSize());
        foreach (var peer in CloserPeers)
            size += ProtoSize.RepeatedBytes(FieldCloserPeers, peer.EncodedSize());
        foreach (var peer in ProviderPeers)
            size += ProtoSize.RepeatedBytes(FieldProviderPeers, peer.EncodedSize());
        return size;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new ProtoWriter(output);
        writer.WriteUInt64Field(FieldType, (ulong)Type);
        writer.WriteBytesField(FieldKey, Key);
        if (Record is not null)
        {
            writer.WriteMessageHeader(FieldRecord, Record.EncodedSize());
            Record.WriteTo(writer);
        }
        foreach (var peer in CloserPeers)
        {
            writer.WriteMessageHeader(FieldCloserPeers, peer.EncodedSize());
            peer.WriteTo(writer);
        }
        foreach (var peer in ProviderPeers)
        {
            writer.WriteMessageHeader(FieldProviderPeers, peer.EncodedSize());
            peer.WriteTo(writer);
        }
        writer.WriteUInt64Field(FieldClusterLevel, (ulong)(uint)ClusterLevel);
    }

    public byte[] ToBytes()
    {
        var buffer = new ArrayBufferWriter<byte>(EncodedSize());
        WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static DhtMessage Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        var type = DhtMessageType.PutValue;
        byte[] key = [];
        DhtRecord? record = null;
        var closer = new List<DhtPeerInfo>();
        var providers = new List<DhtPeerInfo>();
        var clusterLevel = 0;
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field)
            {
                case FieldType:
                    var raw = reader.ReadUInt64(wireType);
                    if (raw > (ulong)DhtMessageType.Ping)
                        throw new DhtProtocolException($"unknown DHT message type {raw}");
                    type = (DhtMessageType)raw;
                    break;
                case FieldKey:
                    key = reader.ReadBytes(wireType).ToArray();
                    break;
                case FieldRecord:
                    record = DhtRecord.Decode(reader.ReadBytes(wireType));
                    break;
                case FieldCloserPeers:
                    closer.Add(DhtPeerInfo.Decode(reader.ReadBytes(wireType)));
                    break;
                case FieldProviderPeers:
                    providers.Add(DhtPeerInfo.Decode(reader.ReadBytes(wireType)));
                    break;
                case FieldClusterLevel:
                    clusterLevel = unchecked((int)reader.ReadUInt64(wireType));
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        return new DhtMessage(type, key, record, closer, providers, clusterLevel);
    }
}
