using System.Net;
using Peerz.P2P.Host;

namespace Peerz.P2P.AutoNat;

/// <summary>
/// The addresses we ask peers to dial (AutoNAT) or to meet us at (DCUtR): each IP peers observed us at, with
/// our listen port (a port-preserving NAT maps dials from the listen port to the same public port), then our
/// own listen addresses. Never circuit addresses; at most <see cref="MaxCount"/>.
/// </summary>
internal static class CandidateAddresses
{
    public const int MaxCount = 8;

    public static IReadOnlyList<Multiaddr> For(HostAddresses addresses)
    {
        var result = new List<Multiaddr>();
        var listen = addresses.Listen;
        foreach (var (observed, _) in addresses.Observed)
        {
            if (WithListenPort(observed, listen) is { } candidate && !result.Contains(candidate))
            {
                result.Add(candidate);
            }
        }
        foreach (var address in addresses.Advertised.Where(a => !a.IsCircuit && !result.Contains(a)))
        {
            result.Add(address);
        }
        return [.. result.Take(MaxCount)];
    }

    /// <summary>The observed address's IP with the port of our listener of the same family, if we have one.</summary>
    private static Multiaddr? WithListenPort(Multiaddr observed, IReadOnlyList<Multiaddr> listen)
    {
        if (TcpEndPoints.Of(observed) is not { } seen)
        {
            return null;
        }
        var listener = listen.Select(TcpEndPoints.Of).FirstOrDefault(l => l?.AddressFamily == seen.AddressFamily);
        return listener is null ? null : Multiaddr.FromEndPoint(new IPEndPoint(seen.Address, listener.Port));
    }
}
