namespace Peerz.P2P.Host;

/// <summary>Known addresses per peer, bounded in both peers and addresses per peer.</summary>
internal sealed class PeerStore
{
    private const int MaxPeers = 100_000;
    private const int MaxAddressesPerPeer = 32;

    private readonly Dictionary<PeerId, List<Multiaddr>> _addresses = [];

    public void Add(PeerId peer, IEnumerable<Multiaddr> addresses)
    {
        lock (_addresses)
        {
            if (!_addresses.TryGetValue(peer, out var list))
            {
                if (_addresses.Count >= MaxPeers)
                {
                    return;
                }
                list = [];
                _addresses.Add(peer, list);
            }
            foreach (var address in addresses.Select(a => a.WithoutPeerId()))
            {
                if (!list.Contains(address))
                {
                    if (list.Count >= MaxAddressesPerPeer)
                    {
                        list.RemoveAt(0); // newest addresses are the most likely to work
                    }
                    list.Add(address);
                }
            }
        }
    }

    public IReadOnlyList<Multiaddr> Get(PeerId peer)
    {
        lock (_addresses)
        {
            return _addresses.TryGetValue(peer, out var list) ? [.. list] : [];
        }
    }
}
