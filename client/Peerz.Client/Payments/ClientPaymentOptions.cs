using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Client.Payments;

/// <summary>Who pays and on which chain: the client's key, the chain id, the escrow and registry contracts.</summary>
public sealed record ClientPaymentOptions
{
    public required EthKey Client { get; init; }
    public required BigInteger ChainId { get; init; }
    public required Address Escrow { get; init; }
    public required Address Registry { get; init; }
    /// <summary>How far a receipt's timestamp may be from the client's clock.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>
    /// How long a request waits for the previous request to the same provider to be answered (requests to one provider
    /// go one at a time, so vouchers arrive in nonce order). Past it the request fails with a <see cref="TimeoutException"/>,
    /// which routing treats as a provider failure: two sessions that each hold one provider and wait for the other's can
    /// never hang for good. Twice the default request timeout, so a slow but live answer is waited for.
    /// </summary>
    public TimeSpan ProviderQueueTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
