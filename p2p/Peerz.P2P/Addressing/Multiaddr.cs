using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Peerz.P2P.Encoding;

namespace Peerz.P2P;

/// <summary>A multiaddr (ip4, ip6, dns, dns4, dns6, tcp, p2p, p2p-circuit) with its text and binary forms.</summary>
public sealed class Multiaddr : IEquatable<Multiaddr>
{
    private const int MaxBinaryLength = 1024;

    private Multiaddr(IReadOnlyList<(MultiaddrProtocol Protocol, byte[] Value)> components) => Components = components;

    public IReadOnlyList<(MultiaddrProtocol Protocol, byte[] Value)> Components { get; }

    /// <summary>
    /// The peer this address reaches: its trailing /p2p component, if any. In a circuit address
    /// (/…/p2p/RELAY/p2p-circuit/p2p/TARGET) that is TARGET; the relay's id is <see cref="RelayPeerId"/>.
    /// </summary>
    public PeerId? PeerId => TrailingPeerIndex is { } i ? P2P.PeerId.FromBytes(Components[i].Value) : null;

    /// <summary>True for /…/p2p-circuit/… addresses, which are dialled through a relay.</summary>
    public bool IsCircuit => CircuitIndex >= 0;

    /// <summary>The relay's peer id in a circuit address (the /p2p just before /p2p-circuit), if any.</summary>
    public PeerId? RelayPeerId =>
        CircuitIndex > 0 && Components[CircuitIndex - 1].Protocol == MultiaddrProtocol.P2p
            ? P2P.PeerId.FromBytes(Components[CircuitIndex - 1].Value) : null;

    /// <summary>The relay part of a circuit address (everything before /p2p-circuit).</summary>
    public Multiaddr RelayAddress =>
        CircuitIndex > 0 ? new([.. Components.Take(CircuitIndex)]) : throw new InvalidOperationException($"'{this}' is not a circuit address");

    private int CircuitIndex
    {
        get
        {
            for (var i = Components.Count - 1; i >= 0; i--)
            {
                if (Components[i].Protocol == MultiaddrProtocol.P2pCircuit)
                {
                    return i;
                }
            }
            return -1;
        }
    }

    private int? TrailingPeerIndex =>
        Components.Count > 0 && Components[^1].Protocol == MultiaddrProtocol.P2p ? Components.Count - 1 : null;

    public static Multiaddr Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxBinaryLength * 2 || !text.StartsWith('/'))
        {
            throw new FormatException($"invalid multiaddr '{text}'");
        }
        var parts = text.Split('/');
        var components = new List<(MultiaddrProtocol, byte[])>();
        for (var i = 1; i < parts.Length; i++)
        {
            if (parts[i].Length == 0 && i == parts.Length - 1)
            {
                break; // trailing slash
            }
            var protocol = MultiaddrProtocol.ByName(parts[i]);
            if (protocol.Size == 0)
            {
                components.Add((protocol, []));
                continue;
            }
            if (++i >= parts.Length)
            {
                throw new FormatException($"multiaddr '{text}': /{protocol.Name} needs a value");
            }
            components.Add((protocol, ValueFromText(protocol, parts[i])));
        }
        if (components.Count == 0)
        {
            throw new FormatException("empty multiaddr");
        }
        return new Multiaddr(components);
    }

    public static Multiaddr FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxBinaryLength || bytes.IsEmpty)
        {
            throw new FormatException("multiaddr bytes empty or too long");
        }
        var components = new List<(MultiaddrProtocol, byte[])>();
        var position = 0;
        while (position < bytes.Length)
        {
            var protocol = MultiaddrProtocol.ByCode(Varint.Read(bytes[position..], out var n));
            position += n;
            var size = protocol.Size;
            if (size < 0)
            {
                var length = Varint.Read(bytes[position..], out n);
                position += n;
                if (length > (ulong)(bytes.Length - position))
                {
                    throw new FormatException("multiaddr component exceeds the input");
                }
                size = (int)length;
            }
            if (size > bytes.Length - position)
            {
                throw new FormatException("truncated multiaddr component");
            }
            var value = bytes.Slice(position, size).ToArray();
            ValueToText(protocol, value); // validates the value
            components.Add((protocol, value));
            position += size;
        }
        return new Multiaddr(components);
    }

    public static Multiaddr FromEndPoint(IPEndPoint endPoint, PeerId? peer = null)
    {
        var ip = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        var text = $"/{(ip.AddressFamily == AddressFamily.InterNetwork ? "ip4" : "ip6")}/{ip}/tcp/{endPoint.Port}";
        return Parse(peer is null ? text : $"{text}/p2p/{peer}");
    }

    public byte[] ToBytes()
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var (protocol, value) in Components)
        {
            writer.Advance(Varint.Write((ulong)protocol.Code, writer.GetSpan(Varint.MaxLength)));
            if (protocol.Size < 0)
            {
                writer.Advance(Varint.Write((ulong)value.Length, writer.GetSpan(Varint.MaxLength)));
            }
            writer.Write(value);
        }
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>This address with a trailing /p2p/&lt;peer&gt; appended (or replaced).</summary>
    public Multiaddr WithPeerId(PeerId peer) => new([.. WithoutPeerId().Components, (MultiaddrProtocol.P2p, peer.ToBytes())]);

    /// <summary>
    /// This address without its trailing /p2p component (a circuit address keeps its relay's /p2p).
    /// </summary>
    public Multiaddr WithoutPeerId() => TrailingPeerIndex is { } i ? new([.. Components.Take(i)]) : this;

    /// <summary>This circuit address reaching <paramref name="target"/> through the relay at this address.</summary>
    public Multiaddr WithCircuitTo(PeerId target) =>
        new([.. Components, (MultiaddrProtocol.P2pCircuit, []), (MultiaddrProtocol.P2p, target.ToBytes())]);

    /// <summary>Host (ip or dns name), its protocol, and tcp port, for dialing.</summary>
    internal (MultiaddrProtocol HostProtocol, string Host, int Port) GetTcpTarget()
    {
        if (IsCircuit || Components.Count < 2 || Components[1].Protocol != MultiaddrProtocol.Tcp
            || Components[0].Protocol == MultiaddrProtocol.Tcp || Components[0].Protocol == MultiaddrProtocol.P2p)
        {
            throw new NotSupportedException($"'{this}' is not a /ip|dns/…/tcp/… address");
        }
        var port = BinaryPrimitives.ReadUInt16BigEndian(Components[1].Value);
        return (Components[0].Protocol, ValueToText(Components[0].Protocol, Components[0].Value), port);
    }

    public override string ToString() =>
        string.Concat(Components.Select(c => c.Protocol.Size == 0 ? $"/{c.Protocol.Name}" : $"/{c.Protocol.Name}/{ValueToText(c.Protocol, c.Value)}"));

    public bool Equals(Multiaddr? other) => other is not null && ToBytes().AsSpan().SequenceEqual(other.ToBytes());

    public override bool Equals(object? obj) => Equals(obj as Multiaddr);

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    private static byte[] ValueFromText(MultiaddrProtocol protocol, string text)
    {
        switch (protocol.Name)
        {
            case "ip4":
            case "ip6":
                var family = protocol == MultiaddrProtocol.Ip4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
                // IPAddress.TryParse also accepts legacy short forms like "1.2.3"; multiaddr wants dotted quads.
                if (!IPAddress.TryParse(text, out var ip) || ip.AddressFamily != family
                    || (family == AddressFamily.InterNetwork && text.Count(c => c == '.') != 3))
                {
                    throw new FormatException($"invalid {protocol.Name} address '{text}'");
                }
                return ip.GetAddressBytes();
            case "tcp":
                if (!ushort.TryParse(text, System.Globalization.NumberStyles.None, null, out var port))
                {
                    throw new FormatException($"invalid tcp port '{text}'");
                }
                var bytes = new byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(bytes, port);
                return bytes;
            case "p2p":
                return P2P.PeerId.Parse(text).ToBytes();
            default:
                if (text.Length is 0 or > 255)
                {
                    throw new FormatException($"invalid dns name '{text}'");
                }
                return System.Text.Encoding.UTF8.GetBytes(text);
        }
    }

    private static string ValueToText(MultiaddrProtocol protocol, byte[] value) => protocol.Name switch
    {
        "p2p-circuit" => "",
        "ip4" or "ip6" => new IPAddress(value).ToString(),
        "tcp" => BinaryPrimitives.ReadUInt16BigEndian(value).ToString(System.Globalization.CultureInfo.InvariantCulture),
        "p2p" => P2P.PeerId.FromBytes(value).ToString(),
        _ => value.Length is > 0 and <= 255 && !value.Contains((byte)'/')
            ? System.Text.Encoding.UTF8.GetString(value)
            : throw new FormatException("invalid dns name"),
    };
}
