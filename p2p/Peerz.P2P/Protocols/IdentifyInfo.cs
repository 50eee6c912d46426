using Peerz.P2P.Encoding;

namespace Peerz.P2P;

/// <summary>The /ipfs/id/1.0.0 Identify message (libp2p/specs identify/README.md).</summary>
public sealed record IdentifyInfo(
    string ProtocolVersion,
    string AgentVersion,
    byte[] PublicKey,
    IReadOnlyList<Multiaddr> ListenAddresses,
    Multiaddr? ObservedAddress,
    IReadOnlyList<string> Protocols)
{
    public const string ProtocolId = "/ipfs/id/1.0.0";
    public const int MaxMessageSize = 64 * 1024;

    public byte[] Encode()
    {
        var writer = new ProtoWriter().WriteBytes(1, PublicKey);
        foreach (var address in ListenAddresses)
        {
            writer.WriteBytes(2, address.ToBytes());
        }
        foreach (var protocol in Protocols)
        {
            writer.WriteString(3, protocol);
        }
        if (ObservedAddress is not null)
        {
            writer.WriteBytes(4, ObservedAddress.ToBytes());
        }
        return writer.WriteString(5, ProtocolVersion).WriteString(6, AgentVersion).ToArray();
    }

    /// <summary>Decodes; addresses we cannot parse (other transports) are skipped rather than failing the message.</summary>
    public static IdentifyInfo Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        string protocolVersion = "", agentVersion = "";
        byte[] publicKey = [];
        var listen = new List<Multiaddr>();
        var protocols = new List<string>();
        Multiaddr? observed = null;
        while (!reader.End)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == 2:
                    publicKey = reader.ReadBytes().ToArray();
                    break;
                case 2 when wire == 2:
                    AddIfSupported(listen, reader.ReadBytes());
                    break;
                case 3 when wire == 2:
                    protocols.Add(reader.ReadString());
                    break;
                case 4 when wire == 2:
                    var observedList = new List<Multiaddr>();
                    AddIfSupported(observedList, reader.ReadBytes());
                    observed = observedList.FirstOrDefault();
                    break;
                case 5 when wire == 2:
                    protocolVersion = reader.ReadString();
                    break;
                case 6 when wire == 2:
                    agentVersion = reader.ReadString();
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new IdentifyInfo(protocolVersion, agentVersion, publicKey, listen, observed, protocols);
    }

    private static void AddIfSupported(List<Multiaddr> list, ReadOnlySpan<byte> bytes)
    {
        try
        {
            list.Add(Multiaddr.FromBytes(bytes));
        }
        catch (FormatException)
        {
            // e.g. /quic-v1 or /ws addresses: not dialable by this stack.
        }
    }
}
