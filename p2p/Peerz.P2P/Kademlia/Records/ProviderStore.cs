using Peerz.P2P.Kademlia.Wire;

namespace Peerz.P2P.Kademlia.Records;

/// <summary>
/// Provider records (key → peers that serve it), each expiring after the TTL unless re-announced.
/// Bounded in keys and in providers per key.
/// </summary>
public sealed class ProviderStore(TimeProvider time, TimeSpan ttl, int maxKeys, int maxProvidersPerKey)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, (DhtPeerInfo Peer, DateTimeOffset ExpiresAt)>> _providers = new(StringComparer.Ordinal);

    public bool Add(ReadOnlySpan<byte> key, DhtPeerInfo provider)
    {
        var id = Convert.ToBase64String(key);
        var peerId = Convert.ToBase64String(provider.Id);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_providers.TryGetValue(id, out var peers))
            {
                if (_providers.Count >= maxKeys)
                    return false;
                peers = new Dictionary<string, (DhtPeerInfo, DateTimeOffset)>(StringComparer.Ordinal);
                _providers[id] = peers;
            }
            foreach (var (expiredId, _) in peers.Where(p => p.Value.ExpiresAt <= now).ToList())
                peers.Remove(expiredId);
            if (!peers.ContainsKey(peerId) && peers.Count >= maxProvidersPerKey)
                return false;
            peers[peerId] = (provider, now + ttl);
            return true;
        }
    }

    public IReadOnlyList<DhtPeerInfo> Get(ReadOnlySpan<byte> key)
    {
        var id = Convert.ToBase64String(key);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return _providers.TryGetValue(id, out var peers)
                ? peers.Values.Where(p => p.ExpiresAt > now).Select(p => p.Peer).ToList()
                : [];
        }
    }
}
