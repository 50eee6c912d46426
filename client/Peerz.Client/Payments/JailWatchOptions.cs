namespace Peerz.Client.Payments;

/// <summary>How closely a client follows the registry's jailings (<see cref="JailWatch"/>).</summary>
public sealed record JailWatchOptions
{
    /// <summary>
    /// Between two reads of new blocks: the longest a client keeps paying a provider after the block that jailed it is
    /// mined (plus one RPC round trip). One eth_blockNumber and at most one eth_getLogs per poll, whatever the number of providers.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Blocks per eth_getLogs at most (nodes refuse long ranges); a watch that fell behind catches up in steps.</summary>
    public int MaxBlocksPerQuery { get; init; } = 1000;

    /// <summary>After a failed poll the wait doubles from <see cref="PollInterval"/> up to this.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}
