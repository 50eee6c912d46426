using System.Collections.Concurrent;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Node.Payments;

/// <summary>
/// Whether an address holds VERIFIER_ROLE in ProviderRegistry, read from chain and cached for <paramref name="ttl"/>
/// (a revoked verifier keeps access at most that long; a payload request does not wait for an RPC each time).
/// Requesters are anyone with a key, so the cache is bounded: past <see cref="MaxEntries"/> it starts over.
/// </summary>
public sealed class VerifierRoles(ProviderRegistry registry, TimeSpan ttl, TimeProvider time)
{
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<Address, (bool IsVerifier, DateTimeOffset ReadAt)> _cache = new();

    public async Task<bool> IsVerifierAsync(Address account, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(account, out var cached) && now - cached.ReadAt < ttl) return cached.IsVerifier;
        var isVerifier = await registry.HasRoleAsync(ProviderRegistry.VerifierRole, account, cancellationToken).ConfigureAwait(false);
        if (_cache.Count >= MaxEntries) _cache.Clear();
        _cache[account] = (isVerifier, now);
        return isVerifier;
    }
}
