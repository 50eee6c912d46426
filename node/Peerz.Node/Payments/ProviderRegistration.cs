using System.Numerics;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.P2P;

namespace Peerz.Node.Payments;

/// <summary>
/// Makes sure the provider may serve before it announces itself: stakes or tops up when asked, keeps the
/// registered signer, peer id and price in line with this process, and refuses to go on unstaked or jailed.
/// </summary>
public sealed class ProviderRegistration(ProviderRegistry registry, PeerzToken token, BigInteger chainId, ILogger<ProviderRegistration> logger)
{
    /// <summary>Registers <paramref name="key"/>'s account with the same key as its receipt signer (proving it holds that key).</summary>
    public async Task<ProviderInfo> EnsureAsync(EthKey key, PeerId peer, BigInteger pricePerToken, BigInteger addStake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var account = key.Address;
        var info = await registry.GetProviderAsync(account, cancellationToken).ConfigureAwait(false);
        if (info.Jailed)
            throw new ProviderNotEligibleException($"account {account} is jailed after a slash and cannot serve (an admin must unjail it)");
        var minimum = await registry.MinStakeAsync(cancellationToken).ConfigureAwait(false);
        var registeredAsUs = info.Signer == account && info.PeerId.AsSpan().SequenceEqual(peer.Bytes) && info.PricePerToken == pricePerToken;
        if (addStake > 0 || (!registeredAsUs && info.Stake >= minimum))
        {
            if (info.Stake + addStake < minimum)
                throw new ProviderNotEligibleException($"a stake of {info.Stake + addStake} wei would still be below the minimum {minimum} wei; give a larger --stake");
            if (addStake > 0) await token.ApproveAsync(registry.Address, addStake, cancellationToken).ConfigureAwait(false);
            var proof = SignerBinding.Prove(key, chainId, registry.Address, account);
            await registry.StakeAsync(addStake, account, peer.ToBytes(), pricePerToken, proof, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("registered {Account}: +{Added} wei stake, peer {Peer}, price {Price} wei per token per block", account, addStake, peer, pricePerToken);
            info = await registry.GetProviderAsync(account, cancellationToken).ConfigureAwait(false);
        }
        if (info.Stake < minimum)
            throw new ProviderNotEligibleException($"account {account} has {info.Stake} wei staked, below the minimum {minimum} wei; start with --stake AMOUNT");
        logger.LogInformation("on-chain registration of {Account}: stake {Stake} wei, price {Price} wei per token per block", account, info.Stake, info.PricePerToken);
        return info;
    }
}
