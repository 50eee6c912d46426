using System.Collections.Concurrent;
using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Node.Payments;

/// <summary>
/// How much a client's vouchers to this provider may add up to: what this provider already redeemed from the
/// client plus what the client's lane to it can still pay (<c>spendable</c> = lane minus what is being released).
/// Only the lane pays this provider, and released funds leave it only after the escrow's withdrawal delay, so work
/// accepted under this bound stays payable as long as vouchers are redeemed within that delay. Read from chain and
/// cached briefly, so a step does not wait for an RPC round trip; a voucher over the cached value forces a fresh read.
/// </summary>
public sealed class EscrowAllowances(PaymentEscrow escrow, Address provider, TimeSpan ttl, TimeProvider time)
{
    private readonly ConcurrentDictionary<Address, (BigInteger Allowance, DateTimeOffset ReadAt)> _cache = new();

    public async Task<BigInteger> GetAsync(Address client, bool fresh, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!fresh && _cache.TryGetValue(client, out var cached) && now - cached.ReadAt < ttl) return cached.Allowance;
        var spendable = await escrow.SpendableAsync(client, provider, cancellationToken).ConfigureAwait(false);
        var redeemed = await escrow.RedeemedAsync(client, provider, cancellationToken).ConfigureAwait(false);
        var allowance = redeemed + spendable;
        _cache[client] = (allowance, now);
        return allowance;
    }
}
