using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Epochs;

/// <summary>
/// Which providers earn no inference or training reward for an epoch, read from the registry when the epoch
/// closes (issues 21 #9, 22 #9): not active then (jailed, unstaked or below the minimum stake), under a pending
/// slash then (proposed, not withdrawn or resolved: the epoch is withheld while the challenge is open), or slashed
/// (a Slashed event) during the epoch. The registry keeps no history, so "for the epoch" means the state at close;
/// a slash withdrawn after the close does not bring the epoch's reward back, because its root is already posted.
/// </summary>
public static class ProviderStanding
{
    /// <summary>The excluded providers among <paramref name="providers"/>, each with the reason.</summary>
    public static async Task<IReadOnlyDictionary<Address, string>> ExcludedAsync(SettlementChain chain, long epoch, IEnumerable<Address> providers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(providers);
        var slashed = await SlashedInEpochAsync(chain, epoch, cancellationToken).ConfigureAwait(false);
        var excluded = new Dictionary<Address, string>();
        foreach (var provider in providers.Distinct())
        {
            if ((await chain.Registry.PendingSlashAsync(provider, cancellationToken).ConfigureAwait(false)).Active) excluded[provider] = "slash pending";
            else if (!await chain.Registry.IsActiveAsync(provider, cancellationToken).ConfigureAwait(false)) excluded[provider] = "not active (jailed, unstaked or below the minimum stake)";
            else if (slashed.Contains(provider)) excluded[provider] = "slashed during the epoch";
        }

        return excluded;
    }

    private static async Task<HashSet<Address>> SlashedInEpochAsync(SettlementChain chain, long epoch, CancellationToken cancellationToken)
    {
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
