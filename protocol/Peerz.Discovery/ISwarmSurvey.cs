
namespace Peerz.Discovery;

/// <summary>What a status page needs from the swarm: every announcement of a model (not only the usable ones) and pings.</summary>
public interface ISwarmSurvey
{
    Task<IReadOnlyList<ProviderRecord>> AnnouncedAsync(string modelId, CancellationToken cancellationToken);

    /// <summary>
    /// The announcements, of any model, of the peers one random-walk lookup finds: a DHT cannot list its keys (model ids), so
    /// this is how models nobody named are found. Each call samples up to one bucket (K) of peers.
    /// </summary>
    Task<IReadOnlyList<ProviderRecord>> SampleAnnouncementsAsync(CancellationToken cancellationToken);

    Task<TimeSpan> PingAsync(string peerId, CancellationToken cancellationToken);

    /// <summary>Whether the connection to the peer goes through a relay now.</summary>
    bool IsRelayed(string peerId);
}
