using Peerz.P2P.Encoding;

namespace Peerz.P2P.Relay.Wire;

/// <summary>circuit-v2 Peer: the peer to connect to (hop CONNECT) or the one connecting (stop CONNECT).</summary>
internal sealed record RelayPeerInfo(PeerId Id, IReadOnlyList<Multiaddr> Addresses)
{
    public byte[] Encode()
    {
        var writer = new ProtoWriter().WriteBytes(1, Id.Bytes);
        foreach (var address in Addresses)
        {
            writer.WriteBytes(2, address.ToBytes());
        }
        return writer.ToArray();
    }

    /// <summary>Decodes a Peer; unreadable addresses are dropped (they are hints), a bad id is a <see cref="FormatException"/>.</summary>
    public static RelayPeerInfo Decode(ReadOnlySpan<byte> data, int maxAddresses)
    {
        var reader = new ProtoReader(data);
        PeerId? id = null;
        var addresses = new List<Multiaddr>();
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1 when wireType == 2:
                    id = RelayWire.DecodePeerId(reader.ReadBytes());
                    break;
                case 2 when wireType == 2:
                    var bytes = reader.ReadBytes();
                    if (addresses.Count < maxAddresses && RelayWire.TryDecodeAddress(bytes) is { } address)
                    {
                        addresses.Add(address);
                    }
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        return new RelayPeerInfo(id ?? throw new FormatException("peer without an id"), addresses);
    }
}
