using Microsoft.Extensions.Logging;
using Peerz.Node.Protocols;
using Peerz.Node.Push;
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
/// announces itself offline so clients route around it at once. Behind a NAT it stays reachable through relays
/// (<see cref="NatTraversal"/>): the announcement carries the host's advertised addresses, /p2p-circuit ones
/// included, and is renewed whenever they or the reachability change.
/// </summary>
public sealed class ProviderNode : IAsyncDisposable
{
    private readonly ProviderNodeOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Libp2pHost _host;
    private readonly KademliaDht _dht;
    private readonly NatTraversal _nat;
    private readonly SemaphoreSlim _addressesChanged = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _retiring = [];
    private readonly PushSessions _push;
    private volatile SpanHandlers _current;
    private Task? _refreshLoop;
    private Task? _addressLoop;
    private string _announcedAddresses = "";
    private int _disposed;

    public ProviderNode(ServedSpan served, ProviderNodeOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ProviderNode>();
        _host = new Libp2pHost(new Libp2pHostOptions
        {
            Identity = options.Identity,
            ListenAddresses = [.. options.ListenAddresses],
            AnnounceAddresses = [.. options.Nat.AnnounceAddresses],
            MaxReceiveWindow = options.MaxReceiveWindow,
        }, loggerFactory);
        _dht = new KademliaDht(_host, new KademliaOptions { ProtocolId = options.KademliaProtocolId }, loggerFactory.CreateLogger<KademliaDht>());
        _nat = new NatTraversal(_host, options.Nat, RelayCandidates, loggerFactory.CreateLogger<NatTraversal>());
        _host.ReachabilityChanged += (_, _) => SignalAddressesChanged();
        _host.AdvertisedAddressesChanged += (_, _) => SignalAddressesChanged();
        _push = new PushSessions(options.Push, new Libp2pPushDialer(_host), loggerFactory);
        _current = new SpanHandlers(served, options.Payments, _push, loggerFactory);
        var info = new InfoProtocol(Describe);
        Handle(PeerzProtocolIds.Info, (stream, ct) => info.HandleAsync(stream, ct));
        // Each stream goes to the span served when it opens; a move (MoveAsync) redirects new streams only.
        Handle(PeerzProtocolIds.Inference, (stream, ct) =>
        {
            LogRelayed(stream);
            return _current.Inference.HandleAsync(stream, stream.RemotePeer.ToString(), ct);
        });
        Handle(PeerzProtocolIds.Forward, (stream, ct) => _current.Training.HandleForwardAsync(stream, ct));
        Handle(PeerzProtocolIds.Backward, (stream, ct) => _current.Training.HandleBackwardAsync(stream, ct));
        if (options.Push.Enabled)
        {
            var pushProtocol = new PushProtocol(_push, loggerFactory.CreateLogger<PushProtocol>());
            Handle(PeerzProtocolIds.Push, (stream, ct) => pushProtocol.HandleAsync(stream, stream.RemotePeer.ToString(), ct));
        }
        if (options.Payments is { } payments)
        {
            var payload = new PayloadProtocol(payments, options.Verifiers, TimeProvider.System, loggerFactory.CreateLogger<PayloadProtocol>());
            Handle(PeerzProtocolIds.Payload, (stream, ct) => payload.HandleAsync(stream, ct));
        }
    }

    /// <summary>The span served now. After a move the node owns the spans it retired; the caller disposes this one.</summary>
    public ServedSpan Served => _current.Served;

    public PeerId PeerId => _host.PeerId;

    public IReadOnlyList<Multiaddr> ListenAddresses => _host.ListenAddresses;

    public Libp2pHost Host => _host;

    /// <summary>Whether peers can dial this provider directly (AutoNAT), and the relays it is reachable through otherwise.</summary>
    public NatTraversal Nat => _nat;

    /// <summary>This node's part in server-to-server push (its sessions' inboxes and links).</summary>
    public PushSessions Push => _push;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _host.StartAsync(cancellationToken);
        await _dht.StartAsync(cancellationToken);
        if (_options.Bootstrap.Count > 0)
        {
            var reached = await _dht.BootstrapAsync(_options.Bootstrap, cancellationToken);
            _logger.LogInformation("joined the swarm through {Reached} of {Count} bootstrap peers", reached, _options.Bootstrap.Count);
        }
        await _nat.StartAsync(cancellationToken);
        Served.State = ServerState.Online;
        await AnnounceAsync(cancellationToken);
        _refreshLoop = RefreshAsync(_stop.Token);
        _addressLoop = WatchAddressesAsync(_stop.Token);
        _logger.LogInformation("serving {Model} blocks [{Start}, {End}) as {Peer} on {Addresses}", Served.ModelId, Served.Blocks.Start, Served.Blocks.End, PeerId, string.Join(" ", ListenAddresses));
    }

    /// <summary>Publishes the current announcement: provider of the model key, and the signed server record.</summary>
    public async Task AnnounceAsync(CancellationToken cancellationToken)
    {
        var announcement = new ServerAnnouncement { Info = Describe() };
        var addresses = _nat.AnnouncedAddresses().Select(a => a.ToString()).ToList();
        announcement.Addresses.AddRange(addresses);
        _announcedAddresses = string.Join(" ", addresses);
        var now = DateTimeOffset.UtcNow;
        var record = ServerRecords.Sign(_options.Identity, announcement, (ulong)now.ToUnixTimeMilliseconds(), now + _options.AnnouncementTtl);
        var stored = await _dht.PutValueAsync(SwarmKeys.Server(PeerId), record, cancellationToken);
        await _dht.ProvideAsync(SwarmKeys.Model(Served.ModelId), cancellationToken);
        _logger.LogDebug("announced {State} to {Stored} peers", Served.State, stored);
    }

    /// <summary>What this provider announces and answers on /peerz/info: the span, its load, and its terms.</summary>
    public ServerInfo Describe()
    {
        var info = Served.Describe(_options.Payments?.Options.PricePerToken.ToString() ?? _options.PricePerToken);
        if (_options.Payments is { } payments)
        {
            info.Account = payments.Options.Account.ToString();
            info.PayloadRetentionSeconds = (ulong)payments.Options.PayloadRetention.TotalSeconds;
        }
        info.Reachability = _host.Reachability switch
        {
            P2P.Reachability.Public => Protocol.Wire.Reachability.Public,
            P2P.Reachability.Private => Protocol.Wire.Reachability.Private,
            _ => Protocol.Wire.Reachability.Unknown,
        };
        return info;
    }

    /// <summary>
    /// Starts serving <paramref name="next"/> instead of the current span (Petals' rebalancing):
    /// new streams go to it at once and the announcement is updated; sessions already open on the
    /// old span finish there, and the old span is released once they have (or after its idle timeout).
    /// </summary>
    public async Task MoveAsync(ServedSpan next, CancellationToken cancellationToken)
    {
        var old = _current;
        next.State = ServerState.Online;
        _current = new SpanHandlers(next, _options.Payments, _push, _loggerFactory);
        lock (_retiring) _retiring.Add(old.Served.RetireAsync(old.Served.Limits.SessionIdleTimeout, _stop.Token));
        _logger.LogInformation("moved from blocks [{OldStart}, {OldEnd}) to [{Start}, {End})", old.Served.Blocks.Start, old.Served.Blocks.End, next.Blocks.Start, next.Blocks.End);
        try
        {
            await AnnounceAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "announcing the new span failed ({Error}); the next refresh retries", e.Message);
        }
    }

    /// <summary>The online spans other providers of this node's model announce in the DHT.</summary>
    public async Task<IReadOnlyList<AnnouncedSpan>> ReadSwarmAsync(CancellationToken cancellationToken)
    {
        var modelId = Served.ModelId;
        var found = await _dht.FindProvidersAsync(SwarmKeys.Model(modelId), 64, cancellationToken);
        var spans = new List<AnnouncedSpan>();
        foreach (var peer in found.Select(f => PeerId.FromBytes(f.Id)).Where(p => p != PeerId))
        {
            var value = await _dht.GetValueAsync(SwarmKeys.Server(peer), cancellationToken);
            if (value is null || ServerRecords.Read(peer, value, DateTimeOffset.UtcNow)?.Info is not { } info) continue;
            if (info.ModelId == modelId && info.State == ServerState.Online)
                spans.Add(new AnnouncedSpan(peer.ToString(), (int)info.BlockStart, (int)info.BlockEnd, info.Throughput));
        }
        return spans;
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
                _logger.LogWarning(e, "refreshing the announcement failed: {Error}", e.Message);
            }
        }
    }

    /// <summary>
    /// Re-announces as soon as the addresses peers can reach us at change (a relay reservation made or lost, AutoNAT's
    /// verdict), checking at <see cref="NatTraversalOptions.AddressCheckInterval"/> and whenever reachability changes.
    /// </summary>
    private async Task WatchAddressesAsync(CancellationToken cancellationToken)
    {
        var logged = "";
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _addressesChanged.WaitAsync(_options.Nat.AddressCheckInterval, cancellationToken);
                var state = _nat.Describe();
                if (state != logged)
                {
                    _logger.LogInformation("{Reachability}", state);
                    logged = state;
                }
                if (string.Join(" ", _nat.AnnouncedAddresses()) != _announcedAddresses)
                {
                    await AnnounceAsync(cancellationToken);
                    _logger.LogInformation("announced addresses: {Addresses}", _announcedAddresses);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "announcing new addresses failed: {Error}", e.Message);
            }
        }
    }

    private void SignalAddressesChanged()
    {
        try
        {
            if (_addressesChanged.CurrentCount == 0) _addressesChanged.Release();
        }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
        {
            // Already signalled, or stopping.
        }
    }

    /// <summary>Relay candidates for AutoRelay: the bootstrap peers, then the DHT's routing table.</summary>
    private IEnumerable<PeerId> RelayCandidates()
    {
        var bootstrap = _options.Bootstrap.Select(a => a.PeerId).OfType<PeerId>();
        var table = _dht.RoutingTable.NearestPeers(_dht.RoutingTable.LocalKey, _dht.RoutingTable.BucketSize).Select(e => PeerId.FromBytes(e.PeerId));
        return bootstrap.Concat(table).Distinct().Where(p => p != PeerId);
    }

    /// <summary>Tells the operator which sessions come through a relay (and which relay): they cost the relay's bandwidth.</summary>
    private void LogRelayed(Libp2pStream stream)
    {
        if (_host.GetConnectionAddress(stream.RemotePeer) is { IsCircuit: true } via)
            _logger.LogInformation("inference stream from {Peer} through relay {Relay} ({Address})", stream.RemotePeer, via.RelayPeerId, via);
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
        if (_addressLoop is not null) await _addressLoop;
        try
        {
            Served.State = ServerState.Offline;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await AnnounceAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            _logger.LogInformation("could not announce going offline: {Error}", e.Message);
        }
        await _nat.DisposeAsync();
        await _dht.DisposeAsync();
        await _host.DisposeAsync();
        Task[] retiring;
        lock (_retiring) retiring = [.. _retiring];
        await Task.WhenAll(retiring);
        _stop.Dispose();
        _addressesChanged.Dispose();
    }

    /// <summary>The protocol handlers of one served span.</summary>
    private sealed class SpanHandlers(ServedSpan served, Payments.ProviderPayments? payments, PushSessions push, ILoggerFactory loggerFactory)
    {
        public ServedSpan Served { get; } = served;
        public InferenceProtocol Inference { get; } = new(served, payments, loggerFactory.CreateLogger<InferenceProtocol>(), push);
        public TrainingProtocols Training { get; } = new(served, payments, loggerFactory.CreateLogger<TrainingProtocols>());
    }
}
