namespace Peerz.P2P.Kademlia.Records;

/// <summary>
/// Bounded in-memory store of validated DHT records. Each record lives for the TTL after it was last
/// stored (publishers refresh it by republishing); when a key already holds a record the namespace's
/// selector decides which one stays. A full store refuses new keys rather than evicting, so a flood of
/// puts cannot push out records that are already replicated here.
/// </summary>
public sealed class RecordStore(RecordValidatorRegistry validators, TimeProvider time, TimeSpan ttl, int maxRecords)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, StoredRecord> _records = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_lock)
                return _records.Count;
        }
    }

    /// <summary>Validates and stores; returns false when the existing record was better or the store is full.</summary>
    /// <exception cref="InvalidRecordException">The record fails validation.</exception>
    public bool Put(byte[] key, byte[] value, bool published = false)
    {
        validators.Validate(key, value);
        var now = time.GetUtcNow();
        var id = Convert.ToBase64String(key);
        lock (_lock)
        {
            if (_records.TryGetValue(id, out var existing) && existing.ExpiresAt > now
                && !existing.Value.AsSpan().SequenceEqual(value)
                && validators.Select(key, [existing.Value, value]) == 0)
            {
                return false;
            }
            if (existing is null && _records.Count >= maxRecords)
            {
                PurgeExpired(now);
                if (_records.Count >= maxRecords)
                    return false;
            }
            _records[id] = new StoredRecord(key, value, now, now + ttl, published || (existing?.Published ?? false));
            return true;
        }
    }

    public StoredRecord? Get(ReadOnlySpan<byte> key)
    {
        var id = Convert.ToBase64String(key);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_records.TryGetValue(id, out var record))
                return null;
            if (record.ExpiresAt > now)
                return record;
            _records.Remove(id);
            return null;
        }
    }

    public IReadOnlyList<StoredRecord> Published()
    {
        lock (_lock)
            return _records.Values.Where(r => r.Published).ToList();
    }

    public void PurgeExpired()
    {
        lock (_lock)
            PurgeExpired(time.GetUtcNow());
    }

    private void PurgeExpired(DateTimeOffset now)
    {
        foreach (var (id, record) in _records.Where(kv => kv.Value.ExpiresAt <= now).ToList())
            _records.Remove(id);
    }
}
