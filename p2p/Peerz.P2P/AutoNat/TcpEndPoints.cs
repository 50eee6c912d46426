using System.Net;

namespace Peerz.P2P.AutoNat;

/// <summary>The IP endpoint of a plain /ip4|ip6/…/tcp/… address (optionally ending in /p2p); anything else has none.</summary>
internal static class TcpEndPoints
{
    public static IPEndPoint? Of(Multiaddr address)
    {
        if (address.IsCircuit || address.WithoutPeerId().Components.Count != 2)
        {
            return null;
        }
        try
        {
            var (protocol, host, port) = address.GetTcpTarget();
            return (protocol == MultiaddrProtocol.Ip4 || protocol == MultiaddrProtocol.Ip6) && port != 0
                ? new IPEndPoint(IPAddress.Parse(host), port)
                : null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }
}
