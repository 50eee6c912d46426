using System.Collections.Concurrent;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Discovery;
using Peerz.P2P;

namespace Peerz.Client.Payments;

/// <summary>
/// Checks a provider's announced account against ProviderRegistry: the account must be active (staked, not
/// jailed) and registered with the provider's own peer id. The chain's price and signer are what count, not
/// the announcement's. Answers are cached briefly; <see cref="Forget"/> drops one at once (a <see cref="JailWatch"/>
/// does when the registry jails or unjails the account).
/// </summary>
public sealed class ProviderAccounts(ProviderRegistry registry, TimeSpan ttl, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (ProviderAccount Account, DateTimeOffset ReadAt)> _cache = new();

    public async Task<ProviderAccount> ResolveAsync(ProviderRecord provider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(provider.PeerId, out var cached) && now - cached.ReadAt < ttl) return cached.Account;
        if (!Address.TryParse(provider.Account, out var account))
            throw new PaymentException($"provider {provider.PeerId} announces no on-chain account, so it cannot be paid");
        var info = await registry.GetProviderAsync(account, cancellationToken).ConfigureAwait(false);
        if (info.Jailed) throw new PaymentException($"provider {provider.PeerId}'s account {account} is jailed");
        if (!await registry.IsActiveAsync(account, cancellationToken).ConfigureAwait(false))
            throw new PaymentException($"provider {provider.PeerId}'s account {account} is not staked");
        if (!info.PeerId.AsSpan().SequenceEqual(PeerId.Parse(provider.PeerId).Bytes))
            throw new PaymentException($"account {account} is registered for another peer id than {provider.PeerId}");
        var resolved = new ProviderAccount(account, info.Signer, info.PricePerToken);
        _cache[provider.PeerId] = (resolved, now);
        return resolved;
    }

    /// <summary>Drops the cached answer for every peer paid through <paramref name="account"/>: the next request reads the registry again.</summary>
    public void Forget(Address account)
    {
        foreach (var (peerId, cached) in _cache)
            if (cached.Account.Account == account) _cache.TryRemove(peerId, out _);
    }
}
