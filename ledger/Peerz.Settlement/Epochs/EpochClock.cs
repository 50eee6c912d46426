using Peerz.Chain.Contracts;

namespace Peerz.Settlement.Epochs;

/// <summary>EpochRewards' calendar: epoch e covers [genesis + e·length, genesis + (e+1)·length) in chain time.</summary>
public sealed record EpochClock(ulong GenesisTime, ulong EpochLength)
{
    public static async Task<EpochClock> ReadAsync(EpochRewards rewards, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        return new EpochClock(await rewards.GenesisTimeAsync(cancellationToken).ConfigureAwait(false), await rewards.EpochLengthAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The epoch holding unix time <paramref name="timestamp"/>, or null before genesis.</summary>
    public long? EpochOf(ulong timestamp) => timestamp < GenesisTime ? null : checked((long)((timestamp - GenesisTime) / EpochLength));

    public ulong Start(long epoch) => GenesisTime + ((ulong)epoch * EpochLength);

    public ulong End(long epoch) => Start(epoch + 1);
}
