using System.Collections.Concurrent;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Verifier.Providers;

/// <summary>
/// <c>ProviderRegistry.signerOwner</c>, cached: a signer belongs to one provider forever once bound, so a known owner is
/// kept; an unbound signer is asked again after <paramref name="unboundTtl"/> (it may be bound by a new stake).
/// </summary>
public sealed class SignerOwners(ProviderRegistry registry, TimeSpan unboundTtl, TimeProvider time)
{
    private readonly ConcurrentDictionary<Address, (Address Owner, DateTimeOffset ReadAt)> _cache = new();

    public async Task<Address> OwnerAsync(Address signer, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(signer, out var cached) && (cached.Owner != Address.Zero || now - cached.ReadAt < unboundTtl)) return cached.Owner;
        var owner = await registry.SignerOwnerAsync(signer, cancellationToken);
        _cache[signer] = (owner, now);
        return owner;
    }
}
