
namespace Peerz.Discovery;

/// <summary>What a status page needs from the swarm: every announcement of a model (not only the usable ones) and pings.</summary>
public interface ISwarmSurvey
{
    Task<IReadOnlyList<ProviderRecord>> AnnouncedAsync(string modelId, CancellationToken cancellationToken);

    Task<TimeSpan> PingAsync(string peerId, CancellationToken cancellationToken);

    /// <summary>Whether the connection to the peer goes through a relay now.</summary>
    bool IsRelayed(string peerId);
}
