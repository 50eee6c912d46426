using Peerz.Node.Protocols;
using Peerz.P2P;

namespace Peerz.Node.Push;

/// <summary>Dials next hops from the provider's own libp2p host; noise makes sure the stream ends at the named peer.</summary>
public sealed class Libp2pPushDialer(Libp2pHost host) : IPushDialer
{
    public async Task<Stream> OpenAsync(string peerId, IReadOnlyList<string> addresses, CancellationToken cancellationToken)
    {
        var peer = PeerId.Parse(peerId);
        var parsed = new List<Multiaddr>();
        foreach (var address in addresses)
        {
            try
            {
                parsed.Add(Multiaddr.Parse(address));
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                // A malformed address is skipped; the others (or known ones) may still reach the peer.
            }
        }
        host.AddAddresses(peer, parsed);
        return await host.OpenStreamAsync(peer, PeerzProtocolIds.Push, cancellationToken);
    }
}
