namespace Peerz.Gateway.Economics;

/// <summary>Bounds of GET /v1/economics.</summary>
public sealed class EconomicsViewOptions
{
    /// <summary>A read is shared with every caller for this long.</summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>All chain reads of one snapshot.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many blocks back Redeemed events are summed and DAO proposals looked for (eth_getLogs over all history is refused or slow on real nodes).</summary>
    public ulong RedeemedWindowBlocks { get; set; } = 10_000;

    /// <summary>How many of the last settled epoch's largest rewards the panel lists.</summary>
    public int TopEarners { get; set; } = 10;

    /// <summary>How many of the window's newest proposals have their state read (the open ones among them are shown).</summary>
    public int MaxProposals { get; set; } = 5;
}
