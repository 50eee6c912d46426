using System.Collections.Concurrent;
using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Node.Payments;

/// <summary>
/// How much a client's vouchers to this provider may add up to before redemption would fail: the client's
/// escrow balance plus what this provider already redeemed from it. Read from chain and cached briefly, so
/// a step does not wait for an RPC round trip; a voucher over the cached allowance forces a fresh read.
/// </summary>
public sealed class EscrowAllowances(PaymentEscrow escrow, Address provider, TimeSpan ttl, TimeProvider time)
{
    private readonly ConcurrentDictionary<Address, (BigInteger Allowance, DateTimeOffset ReadAt)> _cache = new();

    public async Task<BigInteger> GetAsync(Address client, bool fresh, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!fresh && _cache.TryGetValue(client, out var cached) && now - cached.ReadAt < ttl) return cached.Allowance;
        var balance = await escrow.BalanceOfAsync(client, cancellationToken).ConfigureAwait(false);
        var redeemed = await escrow.RedeemedAsync(client, provider, cancellationToken).ConfigureAwait(false);
        var allowance = balance + redeemed;
        _cache[client] = (allowance, now);
        return allowance;
    }
}
