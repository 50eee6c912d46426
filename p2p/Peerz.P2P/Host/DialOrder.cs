using System.Net;
using System.Net.Sockets;

namespace Peerz.P2P.Host;

/// <summary>
/// The order in which a peer's known addresses are dialled, one after another. A private-range address (RFC 1918,
/// carrier-grade NAT, link-local, IPv6 unique-local) announced by a peer behind a home router is usually not
/// reachable from outside its LAN, and a dial to it waits for the whole handshake timeout before the next address is
/// tried; so such addresses come after the peer's relay (/p2p-circuit) addresses, and hole punching (DCUtR) moves
/// a relayed connection to a direct one where one is possible. Public and loopback addresses go first: they answer
/// or fail at once. Within a rank the order of the peer store (announcement order) is kept.
/// </summary>
internal static class DialOrder
{
    public static IEnumerable<Multiaddr> Sort(IEnumerable<Multiaddr> addresses) => addresses.OrderBy(Rank);

    private static int Rank(Multiaddr address) =>
        address.IsCircuit ? 1
        : DirectIp(address) is { } ip && IsPrivateRange(ip) ? 2
        : 0;

    private static IPAddress? DirectIp(Multiaddr address)
    {
        try
        {
            var (protocol, host, _) = address.GetTcpTarget();
            return protocol == MultiaddrProtocol.Ip4 || protocol == MultiaddrProtocol.Ip6 ? IPAddress.Parse(host) : null;
        }
        catch (NotSupportedException)
        {
            return null; // not a TCP address: its dial fails at once anyway
        }
    }

    internal static bool IsPrivateRange(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
            return ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal;
        var b = ip.GetAddressBytes();
        return b[0] == 10
            || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) // carrier-grade NAT (RFC 6598)
            || (b[0] == 169 && b[1] == 254); // link-local
    }
}
