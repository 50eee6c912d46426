using Peerz.P2P.Encoding;

namespace Peerz.P2P.AutoNat;

/// <summary>
/// The AutoNAT v1 protobuf (libp2p/specs autonat/autonat-v1.md):
/// Message { type = 1 (DIAL = 0, DIAL_RESPONSE = 1); dial = 2 { peer = 1 { id = 1; repeated addrs = 2 } };
/// dialResponse = 3 { status = 1; statusText = 2; addr = 3 } }. Addresses stay raw bytes here: the server
/// decides which it can parse and dial, so one bad address does not void the request.
/// </summary>
public sealed record AutoNatMessage(AutoNatMessageType Type, AutoNatDialRequest? Dial = null, AutoNatDialResponse? DialResponse = null)
{
    public const string ProtocolId = "/libp2p/autonat/1.0.0";

    public static AutoNatMessage Request(PeerId peer, IEnumerable<Multiaddr> addresses) =>
        new(AutoNatMessageType.Dial, new AutoNatDialRequest(peer.ToBytes(), [.. addresses.Select(a => a.ToBytes())]));

    public static AutoNatMessage Response(AutoNatResponseStatus status, string? text = null, Multiaddr? address = null) =>
        new(AutoNatMessageType.DialResponse, DialResponse: new AutoNatDialResponse(status, text, address?.ToBytes()));

    public byte[] Encode()
    {
        var writer = new ProtoWriter().WriteVarint(1, (ulong)Type);
        if (Dial is not null)
        {
            var peer = new ProtoWriter();
            if (Dial.PeerId is not null)
            {
                peer.WriteBytes(1, Dial.PeerId);
            }
            foreach (var address in Dial.Addresses)
            {
                peer.WriteBytes(2, address);
            }
            writer.WriteBytes(2, new ProtoWriter().WriteBytes(1, peer.ToArray()).ToArray());
        }
        if (DialResponse is not null)
        {
            var response = new ProtoWriter().WriteVarint(1, (ulong)DialResponse.Status);
            if (DialResponse.StatusText is not null)
            {
                response.WriteString(2, DialResponse.StatusText);
            }
            if (DialResponse.Address is not null)
            {
                response.WriteBytes(3, DialResponse.Address);
            }
            writer.WriteBytes(3, response.ToArray());
        }
        return writer.ToArray();
    }

    /// <summary>Decodes; malformed protobuf throws <see cref="FormatException"/>. The caller bounds the size.</summary>
    public static AutoNatMessage Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        var type = AutoNatMessageType.Dial;
        AutoNatDialRequest? dial = null;
        AutoNatDialResponse? response = null;
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == 0:
                    type = (AutoNatMessageType)reader.ReadVarint();
                    break;
                case 2 when wire == 2:
                    dial = DecodeDial(reader.ReadBytes());
                    break;
                case 3 when wire == 2:
                    response = DecodeResponse(reader.ReadBytes());
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new AutoNatMessage(type, dial, response);
    }

    private static AutoNatDialRequest DecodeDial(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        byte[]? peerId = null;
        var addresses = new List<byte[]>();
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 2)
            {
                var peer = new ProtoReader(reader.ReadBytes());
                while (!peer.End)
                {
                    var (peerField, peerWire) = peer.ReadTag();
                    switch (peerField)
                    {
                        case 1 when peerWire == 2:
                            peerId = peer.ReadBytes().ToArray();
                            break;
                        case 2 when peerWire == 2:
                            addresses.Add(peer.ReadBytes().ToArray());
                            break;
                        default:
                            peer.Skip(peerWire);
                            break;
                    }
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }
        return new AutoNatDialRequest(peerId, addresses);
    }

    private static AutoNatDialResponse DecodeResponse(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        var status = AutoNatResponseStatus.InternalError;
        string? text = null;
        byte[]? address = null;
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == 0:
                    status = (AutoNatResponseStatus)reader.ReadVarint();
                    break;
                case 2 when wire == 2:
                    text = reader.ReadString();
                    break;
                case 3 when wire == 2:
                    address = reader.ReadBytes().ToArray();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new AutoNatDialResponse(status, text, address);
    }
}

public enum AutoNatMessageType
{
    Dial = 0,
    DialResponse = 1,
}

/// <summary>Dial.peer: who asks (multihash bytes of its peer id) and the addresses it wants dialled back.</summary>
public sealed record AutoNatDialRequest(byte[]? PeerId, IReadOnlyList<byte[]> Addresses);

/// <summary>DialResponse: the verdict, a human-readable reason, and (on OK) the address that was dialled.</summary>
public sealed record AutoNatDialResponse(AutoNatResponseStatus Status, string? StatusText, byte[]? Address);
