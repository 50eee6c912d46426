namespace Peerz.Discovery;

/// <summary>Where the client learns which providers serve which blocks (the DHT in a real swarm).</summary>
public interface IProviderDirectory
{
    Task<IReadOnlyList<ProviderRecord>> GetProvidersAsync(string modelId, CancellationToken cancellationToken);
}

/// <summary>Opens protocol streams to providers and reports measured round-trip times for routing.</summary>
public interface IProviderConnector
{
    Task<Stream> OpenStreamAsync(ProviderRecord provider, string protocolId, CancellationToken cancellationToken);

    TimeSpan RoundTrip(string peerId);

    /// <summary>Whether the connection to a provider goes through a relay now (a failure on it may be the relay's).</summary>
    bool IsRelayed(string peerId) => false;
}
