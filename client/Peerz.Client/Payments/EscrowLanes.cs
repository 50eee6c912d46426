using System.Collections.Concurrent;
using System.Numerics;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Client.Payments;

/// <summary>
/// Keeps the client's escrow lane to each provider large enough for the vouchers it signs: a provider accepts a
/// voucher only up to what it redeemed plus what the lane can still pay, so before signing a cumulative amount the
/// lane cannot cover, the client reserves a top-up of <paramref name="topUp"/> (at least the shortfall) from its
/// unreserved deposit. What a lane covers is read from chain once per provider and then tracked locally.
/// </summary>
public sealed class EscrowLanes(PaymentEscrow escrow, Address client, BigInteger topUp, ILogger<EscrowLanes> logger)
{
    /// <summary>The default top-up: 1 PRZ.</summary>
    public static readonly BigInteger DefaultTopUp = BigInteger.Pow(10, 18);

    private readonly ConcurrentDictionary<Address, BigInteger> _covered = new();

    /// <summary>Makes the lane to <paramref name="provider"/> cover a voucher for <paramref name="cumulative"/> wei; callers serialize per provider.</summary>
    /// <exception cref="PaymentException">The unreserved deposit cannot cover the shortfall.</exception>
    public async Task EnsureCoversAsync(Address provider, BigInteger cumulative, CancellationToken cancellationToken)
    {
        if (_covered.TryGetValue(provider, out var known) && cumulative <= known) return;
        // Read again: a lane can also shrink (a release the client asked for elsewhere) or grow (another process).
        var covered = await escrow.RedeemedAsync(client, provider, cancellationToken).ConfigureAwait(false)
            + await escrow.SpendableAsync(client, provider, cancellationToken).ConfigureAwait(false);
        if (cumulative > covered)
        {
            var shortfall = cumulative - covered;
            var unreserved = await escrow.BalanceOfAsync(client, cancellationToken).ConfigureAwait(false);
            if (unreserved < shortfall)
                throw new PaymentException($"paying {provider} needs {shortfall} wei more in its escrow lane, but only {unreserved} wei of the deposit is unreserved; deposit more with `peerz deposit`", clientMustFix: true);
            var amount = BigInteger.Min(BigInteger.Max(topUp, shortfall), unreserved);
            await escrow.ReserveAsync(provider, amount, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("reserved {Amount} wei of the deposit for provider {Provider}", amount, provider);
            covered += amount;
        }
        _covered[provider] = covered;
    }

    /// <summary>Drops what is known of the lane to <paramref name="provider"/> (it refused a voucher), so the next payment reads it again.</summary>
    public void Forget(Address provider) => _covered.TryRemove(provider, out _);
}
