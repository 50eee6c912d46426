using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Epochs;

/// <summary>Providers slashed (ProviderRegistry Slashed event) during an epoch: their inference and training work of that epoch does not count.</summary>
public static class SlashedProviders
{
    public static async Task<IReadOnlySet<Address>> InEpochAsync(SettlementChain chain, long epoch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var logs = await chain.Rpc.GetLogsAsync(chain.Registry.Address, ProviderRegistry.SlashedEvent.Topic, BigInteger.Zero, cancellationToken).ConfigureAwait(false);
        var slashed = new HashSet<Address>();
        var blockTimes = new Dictionary<BigInteger, ulong>();
        foreach (var log in logs)
        {
            if (log.BlockNumber is not { } block) continue;
            if (!blockTimes.TryGetValue(block, out var time))
            {
                time = await chain.Rpc.BlockTimestampAsync(block, cancellationToken).ConfigureAwait(false);
                blockTimes[block] = time;
            }

            if (chain.Clock.EpochOf(time) == epoch)
                slashed.Add((Address)ProviderRegistry.SlashedEvent.DecodeLog(log.Topics, log.Data)["provider"]!);
        }

        return slashed;
    }
}
