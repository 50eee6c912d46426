using Peerz.Discovery;
using Peerz.Verifier.Verification;

namespace Peerz.Integration.Tests.Verification;

/// <summary>The verifier's connection to providers, with payload streams to the peers in <see cref="Blocked"/> failing (providers unreachable for a while).</summary>
public sealed class GatedConnector(IProviderConnector inner) : IProviderConnector
{
    public HashSet<string> Blocked { get; } = [];

    public Task<Stream> OpenStreamAsync(ProviderRecord provider, string protocolId, CancellationToken cancellationToken) =>
        Blocked.Contains(provider.PeerId) && protocolId == PayloadClient.ProtocolId
            ? throw new IOException($"{provider.PeerId} is unreachable")
            : inner.OpenStreamAsync(provider, protocolId, cancellationToken);

    public TimeSpan RoundTrip(string peerId) => inner.RoundTrip(peerId);
}
