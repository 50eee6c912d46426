using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;

namespace Peerz.Gateway.Network;

/// <summary>
/// Stake and jail from ProviderRegistry. The calls run at "latest" right after reading the block number; on a chain
/// that moves meanwhile the entries may be a block newer than the number reported.
/// </summary>
public sealed class ChainStakeReader(EthRpcClient rpc, ProviderRegistry registry) : IStakeReader
{
    public async Task<StakeSnapshot> ReadAsync(IReadOnlyCollection<string> accounts, CancellationToken cancellationToken)
    {
        var block = (ulong)await rpc.BlockNumberAsync(cancellationToken);
        var entries = await Task.WhenAll(accounts.Select(async account =>
        {
            var address = Address.Parse(account);
            var info = await registry.GetProviderAsync(address, cancellationToken);
            var active = await registry.IsActiveAsync(address, cancellationToken);
            return (Key: account.ToLowerInvariant(), Entry: new StakeEntry(info.Stake.ToString(System.Globalization.CultureInfo.InvariantCulture), info.Jailed, active));
        }));
        return new StakeSnapshot(block, entries.ToDictionary(e => e.Key, e => e.Entry));
    }
}
