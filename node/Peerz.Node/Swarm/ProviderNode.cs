using Microsoft.Extensions.Logging;
using Peerz.Node.Protocols;
using Peerz.Node.Serving;
using Peerz.P2P;
using Peerz.P2P.Kademlia;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Swarm;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Swarm;

/// <summary>
/// A provider on the libp2p swarm: serves the Peerz protocols on its host, joins the DHT, and
/// keeps a signed announcement of its span (state, throughput, free cache, price) fresh; on stop it
/// announces itself offline so clients route around it at once.
/// </summary>
public sealed class ProviderNode : IAsyncDisposable
{
    private readonly ServedSpan _served;
    private readonly ProviderNodeOptions _options;
    private readonly ILogger _logger;
    private readonly Libp2pHost _host;
    private readonly KademliaDht _dht;
    private readonly CancellationTokenSource _stop = new();
    private Task? _refreshLoop;
    private int _disposed;

    public ProviderNode(ServedSpan served, ProviderNodeOptions options, ILoggerFactory loggerFactory)
    {
        _served = served;
        _options = options;
        _logger = loggerFactory.CreateLogger<ProviderNode>();
        _host = new Libp2pHost(new Libp2pHostOptions { Identity = options.Identity, ListenAddresses = [.. options.ListenAddresses] }, loggerFactory);
        _dht = new KademliaDht(_host, new KademliaOptions { ProtocolId = options.KademliaProtocolId }, loggerFactory.CreateLogger<KademliaDht>());
        var inference = new InferenceProtocol(served, options.Payments, loggerFactory.CreateLogger<InferenceProtocol>());
        var training = new TrainingProtocols(served, options.Payments, loggerFactory.CreateLogger<TrainingProtocols>());
        var info = new InfoProtocol(Describe);
        Handle(PeerzProtocolIds.Info, (stream, ct) => info.HandleAsync(stream, ct));
        Handle(PeerzProtocolIds.Inference, (stream, ct) => inference.HandleAsync(stream, stream.RemotePeer.ToString(), ct));
        Handle(PeerzProtocolIds.Forward, (stream, ct) => training.HandleForwardAsync(stream, ct));
        Handle(PeerzProtocolIds.Backward, (stream, ct) => training.HandleBackwardAsync(stream, ct));
        if (options.Payments is { } payments)
        {
            var payload = new PayloadProtocol(payments);
            Handle(PeerzProtocolIds.Payload, (stream, ct) => payload.HandleAsync(stream, ct));
        }
    }

    public PeerId PeerId => _host.PeerId;

    public IReadOnlyList<Multiaddr> ListenAddresses => _host.ListenAddresses;

    public Libp2pHost Host => _host;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _host.StartAsync(cancellationToken);
        await _dht.StartAsync(cancellationToken);
        if (_options.Bootstrap.Count > 0)
        {
            var reached = await _dht.BootstrapAsync(_options.Bootstrap, cancellationToken);
            _logger.LogInformation("joined the swarm through {Reached} of {Count} bootstrap peers", reached, _options.Bootstrap.Count);
        }
        _served.State = ServerState.Online;
        await AnnounceAsync(cancellationToken);
        _refreshLoop = RefreshAsync(_stop.Token);
        _logger.LogInformation("serving {Model} blocks [{Start}, {End}) as {Peer} on {Addresses}", _served.ModelId, _served.Blocks.Start, _served.Blocks.End, PeerId, string.Join(" ", ListenAddresses));
    }

    /// <summary>Publishes the current announcement: provider of the model key, and the signed server record.</summary>
    public async Task AnnounceAsync(CancellationToken cancellationToken)
    {
        var announcement = new ServerAnnouncement { Info = Describe() };
        announcement.Addresses.AddRange(ListenAddresses.Select(a => a.ToString()));
        var now = DateTimeOffset.UtcNow;
        var record = ServerRecords.Sign(_options.Identity, announcement, (ulong)now.ToUnixTimeMilliseconds(), now + _options.AnnouncementTtl);
        var stored = await _dht.PutValueAsync(SwarmKeys.Server(PeerId), record, cancellationToken);
        await _dht.ProvideAsync(SwarmKeys.Model(_served.ModelId), cancellationToken);
        _logger.LogDebug("announced {State} to {Stored} peers", _served.State, stored);
    }

    /// <summary>What this provider announces and answers on /peerz/info: the span, its load, and its terms.</summary>
    private ServerInfo Describe()
    {
        var info = _served.Describe(_options.Payments?.Options.PricePerToken.ToString() ?? _options.PricePerToken);
        if (_options.Payments is { } payments) info.Account = payments.Options.Account.ToString();
        return info;
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.AnnouncementTtl / 3, cancellationToken);
                await AnnounceAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogWarning("refreshing the announcement failed: {Error}", e.Message);
            }
        }
    }

    private void Handle(string protocolId, Func<Libp2pStream, CancellationToken, Task> handler) =>
        _host.SetStreamHandler(protocolId, async (stream, ct) =>
        {
            try
            {
                await handler(stream, ct);
            }
            catch (Exception e) when (e is ProtocolViolationException or IOException or OperationCanceledException)
            {
                _logger.LogInformation("{Protocol} stream from {Peer} closed: {Error}", protocolId, stream.RemotePeer, e.Message);
                stream.Reset();
            }
            catch (Exception e)
            {
                _logger.LogError(e, "{Protocol} handler failed for {Peer}", protocolId, stream.RemotePeer);
                stream.Reset();
            }
        });

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        if (_refreshLoop is not null) await _refreshLoop;
        try
        {
            _served.State = ServerState.Offline;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await AnnounceAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            _logger.LogInformation("could not announce going offline: {Error}", e.Message);
        }
        await _dht.DisposeAsync();
        await _host.DisposeAsync();
        _stop.Dispose();
    }
}
