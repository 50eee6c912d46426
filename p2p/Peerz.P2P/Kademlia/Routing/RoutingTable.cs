namespace Peerz.P2P.Kademlia.Routing;

/// <summary>
/// Kademlia k-buckets indexed by common prefix length with the local key. Within a bucket peers are kept
/// least recently seen first; a full bucket keeps its old peers unless they fail a liveness check
/// (Kademlia paper §2.2: long-lived peers are the most likely to stay), which the DHT drives through
/// <see cref="RoutingAddOutcome.BucketFull"/>, <see cref="MarkSeen"/> and <see cref="Replace"/>.
/// </summary>
public sealed class RoutingTable
{
    private readonly Lock _lock = new();
    private readonly List<RoutingEntry>[] _buckets;
    private readonly TimeProvider _time;

    public RoutingTable(byte[] localPeerId, int bucketSize, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketSize, 1);
        LocalKey = KadKey.FromKey(localPeerId);
        BucketSize = bucketSize;
        _time = time;
        _buckets = new List<RoutingEntry>[256];
        for (var i = 0; i < _buckets.Length; i++)
            _buckets[i] = [];
    }

    public KadKey LocalKey { get; }
    public int BucketSize { get; }

    public int Count
    {
        get
        {
            lock (_lock)
                return _buckets.Sum(b => b.Count);
        }
    }

    public RoutingAddResult TryAdd(byte[] peerId)
    {
        var key = KadKey.FromKey(peerId);
        var prefix = LocalKey.CommonPrefixLength(key);
        if (prefix == 256)
            return new RoutingAddResult(RoutingAddOutcome.Rejected);
        lock (_lock)
        {
            var bucket = _buckets[prefix];
            var index = bucket.FindIndex(e => e.Key == key);
            if (index >= 0)
            {
                bucket.RemoveAt(index);
                bucket.Add(new RoutingEntry(peerId, key, _time.GetUtcNow()));
                return new RoutingAddResult(RoutingAddOutcome.Refreshed);
            }
            if (bucket.Count < BucketSize)
            {
                bucket.Add(new RoutingEntry(peerId, key, _time.GetUtcNow()));
                return new RoutingAddResult(RoutingAddOutcome.Added);
            }
            return new RoutingAddResult(RoutingAddOutcome.BucketFull, bucket[0]);
        }
    }

    /// <summary>Moves a peer that answered to the most recently seen end of its bucket.</summary>
    public void MarkSeen(byte[] peerId)
    {
        var key = KadKey.FromKey(peerId);
        lock (_lock)
        {
            var bucket = _buckets[BucketIndex(key)];
            var index = bucket.FindIndex(e => e.Key == key);
            if (index < 0)
                return;
            bucket.RemoveAt(index);
            bucket.Add(new RoutingEntry(peerId, key, _time.GetUtcNow()));
        }
    }

    /// <summary>Evicts a dead peer in favour of a new one in the same bucket, if the dead one is still there.</summary>
    public bool Replace(byte[] deadPeerId, byte[] newPeerId)
    {
        if (!Remove(deadPeerId))
            return false;
        return TryAdd(newPeerId).Outcome == RoutingAddOutcome.Added;
    }

    public bool Remove(byte[] peerId)
    {
        var key = KadKey.FromKey(peerId);
        if (key == LocalKey)
            return false;
        lock (_lock)
            return _buckets[BucketIndex(key)].RemoveAll(e => e.Key == key) > 0;
    }

    public bool Contains(byte[] peerId)
    {
        var key = KadKey.FromKey(peerId);
        if (key == LocalKey)
            return false;
        lock (_lock)
            return _buckets[BucketIndex(key)].Exists(e => e.Key == key);
    }

    /// <summary>The <paramref name="count"/> known peers closest to <paramref name="target"/> by XOR distance.</summary>
    public IReadOnlyList<RoutingEntry> NearestPeers(KadKey target, int count)
    {
        List<RoutingEntry> all;
        lock (_lock)
            all = _buckets.SelectMany(b => b).ToList();
        all.Sort((a, b) => target.CompareDistance(a.Key, b.Key));
        return all.Count > count ? all.GetRange(0, count) : all;
    }

    private int BucketIndex(KadKey key) => LocalKey.CommonPrefixLength(key);
}
