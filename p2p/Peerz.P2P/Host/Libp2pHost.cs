using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Peerz.P2P.Encoding;
using Peerz.P2P.Host;
using Peerz.P2P.Multistream;
using Peerz.P2P.Noise;
using Peerz.P2P.Yamux;

namespace Peerz.P2P;

/// <summary>
/// A libp2p host: TCP + multistream-select + noise + yamux, with identify and ping built in.
/// Connections and streams are bounded by <see cref="Libp2pHostOptions"/>; every handshake has a timeout.
/// </summary>
public sealed class Libp2pHost : IAsyncDisposable
{
    public const string NoiseProtocol = "/noise";
    public const string YamuxProtocol = "/yamux/1.0.0";
    public const string PingProtocol = "/ipfs/ping/1.0.0";
    private const int PingSize = 32;

    private readonly Libp2pHostOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly NoiseHandshake _noise;
    private readonly PeerStore _peerStore = new();
    private readonly ConcurrentDictionary<string, Func<Libp2pStream, CancellationToken, Task>> _handlers = new();
    private readonly ConcurrentDictionary<PeerId, Connection> _connections = new();
    private readonly ConcurrentDictionary<PeerId, IdentifyInfo> _identified = new();
    private readonly ConcurrentDictionary<PeerId, Task<IdentifyInfo>> _identifying = new();
    private readonly List<TcpListener> _listeners = [];
    private readonly ConcurrentDictionary<IPEndPoint, PeerId> _holePunchInitiatorFor = new();
    private readonly HostAddresses _addresses = new();
    private readonly CancellationTokenSource _shutdown = new();
    private int _connectionCount;

    public Libp2pHost(Libp2pHostOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxReceiveWindow, (int)YamuxSession.InitialWindow);
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<Libp2pHost>();
        _noise = new NoiseHandshake(options.Identity);
        SetStreamHandler(IdentifyInfo.ProtocolId, HandleIdentifyAsync);
        SetStreamHandler(PingProtocol, HandlePingAsync);
    }

    /// <summary>Raised once per new connection (inbound or outbound), before identify completes.</summary>
    public event EventHandler<PeerConnectedEventArgs>? PeerConnected;

    /// <summary>Raised when a connection to a peer closes.</summary>
    public event EventHandler<PeerConnectedEventArgs>? PeerDisconnected;

    /// <summary>Raised when identify with a connected peer succeeded.</summary>
    public event EventHandler<PeerIdentifiedEventArgs>? PeerIdentified;

    public PeerId PeerId => _options.Identity.PeerId;

    /// <summary>Raised when AutoNAT changes its verdict on whether peers can dial us directly.</summary>
    public event EventHandler<Reachability>? ReachabilityChanged
    {
        add => _addresses.ReachabilityChanged += value;
        remove => _addresses.ReachabilityChanged -= value;
    }

    /// <summary>Raised when <see cref="AdvertisedAddresses"/> gains or loses a confirmed or relay address.</summary>
    public event EventHandler? AdvertisedAddressesChanged
    {
        add => _addresses.AdvertisedChanged += value;
        remove => _addresses.AdvertisedChanged -= value;
    }

    /// <summary>Bound listen addresses (port 0 resolved), each ending in /p2p/&lt;our id&gt;.</summary>
    public IReadOnlyList<Multiaddr> ListenAddresses => _addresses.Listen;

    /// <summary>
    /// Addresses to give peers (identify, DHT records): listen addresses (wildcards expanded), addresses
    /// AutoNAT confirmed, and /p2p-circuit addresses on relays holding a reservation for us.
    /// </summary>
    public IReadOnlyList<Multiaddr> AdvertisedAddresses => _addresses.Advertised;

    /// <summary>How peers observed us (identify), most-confirmed first; behind a NAT these show its public side.</summary>
    public IReadOnlyList<(Multiaddr Address, int Observers)> ObservedAddresses => _addresses.Observed;

    public Reachability Reachability => _addresses.Reachability;

    internal HostAddresses Addresses => _addresses;

    internal ILoggerFactory LoggerFactory => _loggerFactory;

    internal Libp2pHostOptions Options => _options;

    /// <summary>Dials /p2p-circuit addresses; set by the circuit relay client.</summary>
    internal ICircuitDialer? CircuitDialer { get; set; }

    public IReadOnlyCollection<PeerId> ConnectedPeers => [.. _connections.Keys];

    public Task StartAsync(CancellationToken ct)
    {
        foreach (var address in _options.AnnounceAddresses)
        {
            _addresses.AddAdvertised(address);
        }
        foreach (var address in _options.ListenAddresses)
        {
            var (hostProtocol, host, port) = address.GetTcpTarget();
            if (hostProtocol != MultiaddrProtocol.Ip4 && hostProtocol != MultiaddrProtocol.Ip6)
            {
                throw new NotSupportedException($"listen address must be ip4/ip6: {address}");
            }
            var listener = TcpDialer.Listen(IPAddress.Parse(host), port, _options.PortReuse);
            _listeners.Add(listener);
            var bound = Multiaddr.FromEndPoint((IPEndPoint)listener.LocalEndpoint, PeerId);
            _addresses.AddListen(bound);
            _ = Task.Run(() => AcceptLoopAsync(listener), CancellationToken.None);
            _logger.LogInformation("listening on {Address}", bound);
        }
        return Task.CompletedTask;
    }

    public void SetStreamHandler(string protocolId, Func<Libp2pStream, CancellationToken, Task> handler) =>
        _handlers[protocolId] = handler;

    public void RemoveStreamHandler(string protocolId) => _handlers.TryRemove(protocolId, out _);

    public void AddAddresses(PeerId peer, IEnumerable<Multiaddr> addresses) => _peerStore.Add(peer, addresses);

    public IReadOnlyList<Multiaddr> GetAddresses(PeerId peer) => _peerStore.Get(peer);

    public bool IsConnected(PeerId peer) => _connections.TryGetValue(peer, out var c) && !c.Session.IsClosed;

    /// <summary>The remote address of the connection in use to a peer (a /p2p-circuit address when relayed), if connected.</summary>
    public Multiaddr? GetConnectionAddress(PeerId peer) =>
        _connections.TryGetValue(peer, out var c) && !c.Session.IsClosed ? c.RemoteAddress : null;

    /// <summary>The identify answer of a connected peer, once it arrived.</summary>
    public IdentifyInfo? GetIdentifyInfo(PeerId peer) => _identified.GetValueOrDefault(peer);

    /// <summary>Dials (unless already connected to the address's peer) and returns the authenticated remote peer id.</summary>
    public async Task<PeerId> ConnectAsync(Multiaddr address, CancellationToken ct) =>
        (await GetOrDialAsync(address, ct).ConfigureAwait(false)).RemotePeer;

    /// <summary>Opens a stream on an existing connection, or dials the peer's known addresses.</summary>
    public async Task<Libp2pStream> OpenStreamAsync(PeerId peer, string protocolId, CancellationToken ct)
    {
        if (!_connections.TryGetValue(peer, out var connection) || connection.Session.IsClosed)
        {
            connection = await DialKnownAsync(peer, ct).ConfigureAwait(false);
        }
        return await NegotiateOutboundAsync(connection, protocolId, ct).ConfigureAwait(false);
    }

    public async Task<Libp2pStream> OpenStreamAsync(Multiaddr address, string protocolId, CancellationToken ct)
    {
        var connection = await GetOrDialAsync(address, ct).ConfigureAwait(false);
        return await NegotiateOutboundAsync(connection, protocolId, ct).ConfigureAwait(false);
    }

    /// <summary>Closes the connection to a peer (yamux go-away, then the socket), if there is one.</summary>
    public async Task DisconnectAsync(PeerId peer)
    {
        if (_connections.TryGetValue(peer, out var connection))
        {
            await connection.Session.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Round-trip time of one /ipfs/ping/1.0.0 exchange; throws if the echo differs.</summary>
    public async Task<TimeSpan> PingAsync(PeerId peer, CancellationToken ct)
    {
        await using var stream = await OpenStreamAsync(peer, PingProtocol, ct).ConfigureAwait(false);
        var payload = RandomNumberGenerator.GetBytes(PingSize);
        var echo = new byte[PingSize];
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await stream.WriteAsync(payload, ct).ConfigureAwait(false);
        await stream.ReadExactlyAsync(echo, ct).ConfigureAwait(false);
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        if (!payload.AsSpan().SequenceEqual(echo))
        {
            throw new InvalidDataException("ping echo does not match");
        }
        return elapsed;
    }

    /// <summary>
    /// The peer's identify record: the exchange started when the connection opened, or a new one if that failed.
    /// (js-libp2p accepts one identify stream at a time, so concurrent requests share one exchange.)
    /// </summary>
    public Task<IdentifyInfo> IdentifyAsync(PeerId peer, CancellationToken ct)
    {
        var exchange = _identifying.AddOrUpdate(peer, RequestIdentifyAsync,
            (p, existing) => existing.IsFaulted || existing.IsCanceled ? RequestIdentifyAsync(p) : existing);
        return exchange.WaitAsync(ct);
    }

    private async Task<IdentifyInfo> RequestIdentifyAsync(PeerId peer)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        timeout.CancelAfter(_options.HandshakeTimeout);
        await using var stream = await OpenStreamAsync(peer, IdentifyInfo.ProtocolId, timeout.Token).ConfigureAwait(false);
        var info = IdentifyInfo.Decode(await LengthPrefixed.ReadAsync(stream, IdentifyInfo.MaxMessageSize, timeout.Token).ConfigureAwait(false));
        if (PeerId.FromPublicKey(info.PublicKey) != peer)
        {
            throw new InvalidDataException("identify public key does not match the authenticated peer");
        }
        _identified[peer] = info;
        _peerStore.Add(peer, info.ListenAddresses);
        if (info.ObservedAddress is { } observed)
        {
            _addresses.AddObserved(observed, peer);
        }
        PeerIdentified?.Invoke(this, new PeerIdentifiedEventArgs(peer, info));
        return info;
    }

    public async ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }
        _shutdown.Cancel();
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }
        foreach (var connection in _connections.Values)
        {
            await connection.Session.DisposeAsync().ConfigureAwait(false);
        }
        _shutdown.Dispose();
    }

    private async Task<Connection> GetOrDialAsync(Multiaddr address, CancellationToken ct)
    {
        var expected = address.PeerId;
        if (expected is not null && _connections.TryGetValue(expected, out var existing) && !existing.Session.IsClosed)
        {
            return existing;
        }
        var connection = await DialAsync(address, expected, ct).ConfigureAwait(false);
        _peerStore.Add(connection.RemotePeer, [address]);
        return connection;
    }

    private async Task<Connection> DialKnownAsync(PeerId peer, CancellationToken ct)
    {
        var addresses = _peerStore.Get(peer);
        if (addresses.Count == 0)
        {
            throw new InvalidOperationException($"no connection to and no known address for {peer}");
        }
        Exception? last = null;
        foreach (var address in DialOrder.Sort(addresses))
        {
            try
            {
                return await DialAsync(address, peer, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                last = ex;
            }
        }
        throw new IOException($"could not dial {peer} at any of {addresses.Count} addresses", last);
    }

    private Task<Connection> DialAsync(Multiaddr address, PeerId? expected, CancellationToken ct) =>
        DialAsync(address, expected, securityInitiator: true, holePunch: false, ct);

    /// <summary>
    /// One hole-punching dial (DCUtR): TCP from our listen port, so that both sides' simultaneous opens meet in
    /// their NATs, then the upgrade in the role DCUtR assigned (which need not match who connected first).
    /// </summary>
    internal async Task<PeerId> HolePunchDialAsync(Multiaddr address, PeerId expected, bool securityInitiator, CancellationToken ct) =>
        (await DialAsync(address, expected, securityInitiator, holePunch: true, ct).ConfigureAwait(false)).RemotePeer;

    /// <summary>
    /// Proves that <paramref name="address"/> reaches <paramref name="expected"/> (an AutoNAT dial-back): a fresh TCP
    /// connection and noise handshake, then closed. It is never registered, so the connection the peer asked on
    /// keeps serving it.
    /// </summary>
    internal async Task VerifyDialAsync(Multiaddr address, PeerId expected, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
        timeout.CancelAfter(_options.HandshakeTimeout);
        var (hostProtocol, host, port) = address.GetTcpTarget();
        var ip = await ResolveAsync(hostProtocol, host, timeout.Token).ConfigureAwait(false);
        var socket = await TcpDialer.ConnectAsync(new IPEndPoint(ip, port), null, timeout.Token).ConfigureAwait(false);
        await using var transport = new NetworkStream(socket, ownsSocket: true);
        await NegotiateAsync(transport, NoiseProtocol, initiator: true, timeout.Token).ConfigureAwait(false);
        var (secure, _) = await _noise.RunAsync(transport, initiator: true, expected, timeout.Token).ConfigureAwait(false);
        await secure.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The connection streams to a peer use now (DCUtR keeps the relayed one to close it once a direct one replaced it).</summary>
    internal Connection? GetConnection(PeerId peer) =>
        _connections.TryGetValue(peer, out var c) && !c.Session.IsClosed ? c : null;

    private async Task<Connection> DialAsync(Multiaddr address, PeerId? expected, bool securityInitiator, bool holePunch, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _connectionCount) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _connectionCount);
            throw new InvalidOperationException($"connection limit {_options.MaxConnections} reached");
        }
        Stream? transport = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
            timeout.CancelAfter(_options.HandshakeTimeout);
            Multiaddr remoteAddress;
            if (address.IsCircuit)
            {
                var dialer = CircuitDialer ?? throw new NotSupportedException($"'{address}' needs a relay, and circuit relay is not enabled on this host");
                // Stored circuit addresses end at /p2p-circuit; the peer we expect is the target.
                var circuit = expected is null ? address : address.WithPeerId(expected);
                if (circuit.PeerId is null || circuit.RelayPeerId is null)
                {
                    throw new FormatException($"circuit address '{address}' must name the relay and the target peer");
                }
                transport = await dialer.DialAsync(circuit, timeout.Token).ConfigureAwait(false);
                remoteAddress = address.WithoutPeerId();
            }
            else
            {
                var (hostProtocol, host, port) = address.GetTcpTarget();
                var ip = await ResolveAsync(hostProtocol, host, timeout.Token).ConfigureAwait(false);
                var localPort = holePunch ? ListenPortFor(ip.AddressFamily) ?? throw new InvalidOperationException("hole punching needs a listener with port reuse") : (int?)null;
                var socket = await TcpDialer.ConnectAsync(new IPEndPoint(ip, port), localPort, timeout.Token).ConfigureAwait(false);
                remoteAddress = Multiaddr.FromEndPoint((IPEndPoint)socket.RemoteEndPoint!);
                transport = new NetworkStream(socket, ownsSocket: true);
            }
            var connection = await UpgradeAsync(transport, remoteAddress, securityInitiator, expected, timeout.Token).ConfigureAwait(false);
            _logger.LogDebug("connected to {Peer} at {Address}", connection.RemotePeer, address);
            return connection;
        }
        catch
        {
            if (transport is not null)
            {
                await transport.DisposeAsync().ConfigureAwait(false);
            }
            Interlocked.Decrement(ref _connectionCount);
            throw;
        }
    }

    /// <summary>
    /// The port we listen on for this address family, when port reuse is on. Only hole-punching dials leave from
    /// it: were every dial to, two peers dialling each other at once would meet in one TCP simultaneous open
    /// with both sides acting as initiator.
    /// </summary>
    private int? ListenPortFor(AddressFamily family)
    {
        if (!_options.PortReuse)
        {
            return null;
        }
        foreach (var listener in _listeners)
        {
            var local = (IPEndPoint)listener.LocalEndpoint;
            if (local.AddressFamily == family)
            {
                return local.Port;
            }
        }
        return null;
    }

    private static async Task<IPAddress> ResolveAsync(MultiaddrProtocol protocol, string host, CancellationToken ct)
    {
        if (protocol == MultiaddrProtocol.Ip4 || protocol == MultiaddrProtocol.Ip6)
        {
            return IPAddress.Parse(host);
        }
        var family = protocol == MultiaddrProtocol.Dns4 ? AddressFamily.InterNetwork
            : protocol == MultiaddrProtocol.Dns6 ? AddressFamily.InterNetworkV6 : AddressFamily.Unspecified;
        var addresses = await Dns.GetHostAddressesAsync(host, family, ct).ConfigureAwait(false);
        return addresses.FirstOrDefault() ?? throw new IOException($"no {protocol.Name} address for {host}");
    }

    private async Task AcceptLoopAsync(TcpListener listener)
    {
        while (!_shutdown.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(_shutdown.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (Interlocked.Increment(ref _connectionCount) > _options.MaxConnections)
            {
                Interlocked.Decrement(ref _connectionCount);
                _logger.LogWarning("connection limit {Limit} reached; refusing {Remote}", _options.MaxConnections, socket.RemoteEndPoint);
                socket.Dispose();
                continue;
            }
            _ = Task.Run(() => HandleInboundAsync(socket));
        }
    }

    private Task HandleInboundAsync(Socket socket)
    {
        socket.NoDelay = true;
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        var holePunchPeer = _holePunchInitiatorFor.TryGetValue(Normalize(remote), out var peer) ? peer : null;
        return UpgradeInboundAsync(new NetworkStream(socket, ownsSocket: true), Multiaddr.FromEndPoint(remote), holePunchPeer);
    }

    /// <summary>
    /// While we are DCUtR's A (security initiator) punching toward <paramref name="endpoints"/>: the peer (B) dials
    /// from its listen port as security responder, and when its SYN lands on our listener instead of meeting our dial
    /// in a simultaneous open (no NAT between us, or ours left later), both sides would wait as responders until the
    /// handshake timed out. A connection accepted from one of these endpoints is therefore upgraded as initiator,
    /// expecting <paramref name="peer"/>. Disposing the result ends the expectation.
    /// </summary>
    internal IDisposable ExpectHolePunchFrom(IEnumerable<IPEndPoint> endpoints, PeerId peer)
    {
        var added = new List<IPEndPoint>();
        foreach (var endpoint in endpoints.Select(Normalize))
        {
            if (_holePunchInitiatorFor.TryAdd(endpoint, peer))
            {
                added.Add(endpoint);
            }
        }
        return new HolePunchExpectation(_holePunchInitiatorFor, added);
    }

    private static IPEndPoint Normalize(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;

    private sealed class HolePunchExpectation(ConcurrentDictionary<IPEndPoint, PeerId> expected, List<IPEndPoint> endpoints) : IDisposable
    {
        public void Dispose()
        {
            foreach (var endpoint in endpoints)
            {
                expected.TryRemove(endpoint, out _);
            }
        }
    }

    /// <summary>
    /// Accepts a connection whose raw stream arrived by another way than our listeners (a relay's STOP stream);
    /// it counts against <see cref="Libp2pHostOptions.MaxConnections"/> like any other.
    /// </summary>
    internal Task AcceptRelayedAsync(Stream transport, Multiaddr remoteAddress)
    {
        if (Interlocked.Increment(ref _connectionCount) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _connectionCount);
            _logger.LogWarning("connection limit {Limit} reached; refusing relayed {Remote}", _options.MaxConnections, remoteAddress);
            transport.Dispose();
            return Task.CompletedTask;
        }
        return UpgradeInboundAsync(transport, remoteAddress, holePunchPeer: null);
    }

    /// <summary>Upgrades as responder, or as initiator expecting <paramref name="holePunchPeer"/> (see <see cref="ExpectHolePunchFrom"/>).</summary>
    private async Task UpgradeInboundAsync(Stream transport, Multiaddr remoteAddress, PeerId? holePunchPeer)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
            timeout.CancelAfter(_options.HandshakeTimeout);
            var connection = await UpgradeAsync(transport, remoteAddress, initiator: holePunchPeer is not null, holePunchPeer, timeout.Token).ConfigureAwait(false);
            _logger.LogDebug("accepted {Peer} from {Remote}", connection.RemotePeer, remoteAddress);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "inbound connection from {Remote} failed during handshake: {Reason}", remoteAddress, ex.Message);
            await transport.DisposeAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _connectionCount);
        }
    }

    /// <summary>multistream(/noise) → noise XX → multistream(/yamux/1.0.0) → yamux session, over TCP or a relayed stream.</summary>
    private async Task<Connection> UpgradeAsync(Stream transport, Multiaddr remoteAddress, bool initiator, PeerId? expected, CancellationToken ct)
    {
        await NegotiateAsync(transport, NoiseProtocol, initiator, ct).ConfigureAwait(false);
        var (secure, remotePeer) = await _noise.RunAsync(transport, initiator, expected, ct).ConfigureAwait(false);
        await NegotiateAsync(secure, YamuxProtocol, initiator, ct).ConfigureAwait(false);

        Connection? connection = null;
        var session = new YamuxSession(secure, isClient: initiator, _options.MaxStreamsPerConnection, (uint)_options.MaxReceiveWindow,
            _loggerFactory.CreateLogger<YamuxSession>(), stream => HandleInboundStreamAsync(connection!, stream));
        connection = new Connection(remotePeer, remoteAddress.WithPeerId(remotePeer), !initiator, session);
        session.Start();
        Register(connection);
        return connection;
    }

    private static Task NegotiateAsync(Stream stream, string protocol, bool initiator, CancellationToken ct) =>
        initiator
            ? MultistreamSelect.SelectAsync(stream, protocol, ct)
            : MultistreamSelect.ListenAsync(stream, p => p == protocol, ct);

    private void Register(Connection connection)
    {
        // A direct connection stays the one streams use when a relayed one to the same peer arrives later.
        _connections.AddOrUpdate(connection.RemotePeer, connection,
            (_, existing) => connection.IsRelayed && !existing.IsRelayed && !existing.Session.IsClosed ? existing : connection);
        var args = new PeerConnectedEventArgs(connection.RemotePeer, connection.RemoteAddress, connection.Inbound);
        _ = connection.Session.Completion.ContinueWith(completed =>
        {
            Interlocked.Decrement(ref _connectionCount);
            if (_connections.TryRemove(new KeyValuePair<PeerId, Connection>(connection.RemotePeer, connection)))
            {
                _identified.TryRemove(connection.RemotePeer, out _);
                _identifying.TryRemove(connection.RemotePeer, out _);
            }
            _logger.LogDebug("connection to {Peer} closed", connection.RemotePeer);
            PeerDisconnected?.Invoke(this, args);
        }, TaskScheduler.Default);
        PeerConnected?.Invoke(this, args);
        _ = Task.Run(() => IdentifyInBackgroundAsync(connection.RemotePeer));
    }

    private async Task IdentifyInBackgroundAsync(PeerId peer)
    {
        try
        {
            await IdentifyAsync(peer, _shutdown.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "identify with {Peer} failed: {Reason}", peer, ex.Message);
        }
    }

    private async Task<Libp2pStream> NegotiateOutboundAsync(Connection connection, string protocolId, CancellationToken ct)
    {
        var inner = await connection.Session.OpenStreamAsync(ct).ConfigureAwait(false);
        var stream = new Libp2pStream(inner, connection.RemotePeer, connection.RemoteAddress, protocolId);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.StreamNegotiationTimeout);
            await MultistreamSelect.SelectAsync(stream, protocolId, timeout.Token).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            stream.Reset();
            throw;
        }
    }

    private async Task HandleInboundStreamAsync(Connection connection, YamuxStream inner)
    {
        var stream = new Libp2pStream(inner, connection.RemotePeer, connection.RemoteAddress, "");
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token))
            {
                timeout.CancelAfter(_options.StreamNegotiationTimeout);
                stream.Protocol = await MultistreamSelect.ListenAsync(stream, _handlers.ContainsKey, timeout.Token).ConfigureAwait(false);
            }
            await _handlers[stream.Protocol](stream, _shutdown.Token).ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "inbound stream {Protocol} from {Peer} failed: {Reason}", stream.Protocol, connection.RemotePeer, ex.Message);
            stream.Reset();
        }
    }

    private Task HandleIdentifyAsync(Libp2pStream stream, CancellationToken ct)
    {
        var info = new IdentifyInfo(_options.ProtocolVersion, _options.AgentVersion, _options.Identity.PublicKeyProto,
            AdvertisedAddresses, stream.RemoteAddress.WithoutPeerId(), [.. _handlers.Keys]);
        return LengthPrefixed.WriteAsync(stream, info.Encode(), ct).AsTask();
    }

    private static async Task HandlePingAsync(Libp2pStream stream, CancellationToken ct)
    {
        var buffer = new byte[PingSize];
        while (true)
        {
            var read = await stream.ReadAtLeastAsync(buffer, PingSize, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            if (read < PingSize)
            {
                return;
            }
            await stream.WriteAsync(buffer, ct).ConfigureAwait(false);
        }
    }
}
