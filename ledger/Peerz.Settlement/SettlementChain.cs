using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Rpc;
using Peerz.Settlement.Epochs;

namespace Peerz.Settlement;

/// <summary>
/// What settlement reads and writes on chain: the registry (signer owners, provider standing, verifiers, slashes),
/// the escrow (what clients' vouchers redeemed), EpochRewards (calendar, pools, weights, roots) and the sender of
/// the account holding SETTLEMENT_ROLE (null for read-only use).
/// </summary>
public sealed record SettlementChain(EthRpcClient Rpc, BigInteger ChainId, ProviderRegistry Registry, PaymentEscrow Escrow, EpochRewards Rewards, TransactionSender? Sender, EpochClock Clock)
{
    public static async Task<SettlementChain> ConnectAsync(EthRpcClient rpc, PeerzDeployment deployment, TransactionSender? sender, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rpc);
        ArgumentNullException.ThrowIfNull(deployment);
        var rewards = new EpochRewards(rpc, deployment.Rewards, sender);
        return new SettlementChain(
            rpc, deployment.ChainId, new ProviderRegistry(rpc, deployment.Registry, sender), new PaymentEscrow(rpc, deployment.Escrow), rewards, sender,
            await EpochClock.ReadAsync(rewards, cancellationToken).ConfigureAwait(false));
    }

    public async Task<long> CurrentEpochAsync(CancellationToken cancellationToken) => (long)await Rewards.CurrentEpochAsync(cancellationToken).ConfigureAwait(false);
}
