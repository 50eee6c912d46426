namespace Peerz.Gateway.Network;

/// <summary>Bounds of the network map (GET /v1/network): how long a survey is reused and how long each read may take.</summary>
public sealed class NetworkViewOptions
{
    /// <summary>A survey is served to every caller for this long, so pages polling every few seconds cost one DHT walk per period, however many are open.</summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The whole DHT lookup (providers of the model and their records).</summary>
    public TimeSpan DhtTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Each provider's ping; one that does not answer in time is drawn unreachable.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>All chain reads of one survey (block number, then each announced account's registry entry).</summary>
    public TimeSpan ChainTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Models found in the DHT (beyond the gateway's own) the map keeps: each costs a provider lookup per survey.</summary>
    public int MaxModels { get; set; } = 16;

    /// <summary>A found model is drawn with at most this many blocks (its depth comes from untrusted announcements).</summary>
    public const int MaxBlocks = 1024;

    /// <summary>Longer model ids in announcements are ignored.</summary>
    public const int MaxModelIdLength = 128;
}
