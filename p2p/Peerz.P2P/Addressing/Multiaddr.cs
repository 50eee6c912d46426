using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Peerz.P2P.Encoding;

namespace Peerz.P2P;

/// <summary>A multiaddr (ip4, ip6, dns, dns4, dns6, tcp, p2p) with its text and binary forms.</summary>
public sealed class Multiaddr : IEquatable<Multiaddr>
{
    private const int MaxBinaryLength = 1024;

    private Multiaddr(IReadOnlyList<(MultiaddrProtocol Protocol, byte[] Value)> components) => Components = components;

    public IReadOnlyList<(MultiaddrProtocol Protocol, byte[] Value)> Components { get; }

    /// <summary>The peer id of the trailing /p2p component, if any.</summary>
    public PeerId? PeerId =>
        Components.Where(c => c.Protocol == MultiaddrProtocol.P2p).Select(c => P2P.PeerId.FromBytes(c.Value)).LastOrDefault();

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

    /// <summary>This address with /p2p/&lt;peer&gt; appended (or replaced).</summary>
    public Multiaddr WithPeerId(PeerId peer) =>
        new([.. Components.Where(c => c.Protocol != MultiaddrProtocol.P2p), (MultiaddrProtocol.P2p, peer.ToBytes())]);

    /// <summary>This address without its /p2p component.</summary>
    public Multiaddr WithoutPeerId() => new([.. Components.Where(c => c.Protocol != MultiaddrProtocol.P2p)]);

    /// <summary>Host (ip or dns name), its protocol, and tcp port, for dialing.</summary>
    internal (MultiaddrProtocol HostProtocol, string Host, int Port) GetTcpTarget()
    {
        if (Components.Count < 2 || Components[1].Protocol != MultiaddrProtocol.Tcp
            || Components[0].Protocol == MultiaddrProtocol.Tcp || Components[0].Protocol == MultiaddrProtocol.P2p)
        {
            throw new NotSupportedException($"'{this}' is not a /ip|dns/…/tcp/… address");
        }
        var port = BinaryPrimitives.ReadUInt16BigEndian(Components[1].Value);
        return (Components[0].Protocol, ValueToText(Components[0].Protocol, Components[0].Value), port);
    }

    public override string ToString() =>
        string.Concat(Components.Select(c => $"/{c.Protocol.Name}/{ValueToText(c.Protocol, c.Value)}"));

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
        "ip4" or "ip6" => new IPAddress(value).ToString(),
        "tcp" => BinaryPrimitives.ReadUInt16BigEndian(value).ToString(System.Globalization.CultureInfo.InvariantCulture),
        "p2p" => P2P.PeerId.FromBytes(value).ToString(),
        _ => value.Length is > 0 and <= 255 && !value.Contains((byte)'/')
            ? System.Text.Encoding.UTF8.GetString(value)
            : throw new FormatException("invalid dns name"),
    };
}
