using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Discovery;
using Peerz.P2P;

namespace Peerz.Bench.Pipeline;

/// <summary>
/// A client libp2p host that knows the providers from a fixed list (no DHT), so the benchmark can
/// point it at each provider through an emulated link instead of the provider's own address.
/// </summary>
public sealed class StaticSwarm(IReadOnlyList<ProviderRecord> providers, TimeSpan roundTrip, int maxReceiveWindow) : IProviderDirectory, IProviderConnector, IAsyncDisposable
{
    private readonly Libp2pHost _host = new(new Libp2pHostOptions { Identity = Identity.Generate(), ListenAddresses = [], MaxReceiveWindow = maxReceiveWindow }, NullLoggerFactory.Instance);

    public Task StartAsync(CancellationToken cancellationToken) => _host.StartAsync(cancellationToken);

    public Task<IReadOnlyList<ProviderRecord>> GetProvidersAsync(string modelId, CancellationToken cancellationToken) => Task.FromResult(providers);

    public async Task<Stream> OpenStreamAsync(ProviderRecord provider, string protocolId, CancellationToken cancellationToken)
    {
        var peer = PeerId.Parse(provider.PeerId);
        _host.AddAddresses(peer, provider.Addresses.Select(Multiaddr.Parse));
        return await _host.OpenStreamAsync(peer, protocolId, cancellationToken);
    }

    public TimeSpan RoundTrip(string peerId) => roundTrip;

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
