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
    private readonly List<Multiaddr> _listenAddresses = [];
    private readonly CancellationTokenSource _shutdown = new();
    private int _connectionCount;

    public Libp2pHost(Libp2pHostOptions options, ILoggerFactory loggerFactory)
    {
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

    /// <summary>Bound listen addresses (port 0 resolved), each ending in /p2p/&lt;our id&gt;.</summary>
    public IReadOnlyList<Multiaddr> ListenAddresses
    {
        get
        {
            lock (_listenAddresses)
            {
                return [.. _listenAddresses];
            }
        }
    }

    public IReadOnlyCollection<PeerId> ConnectedPeers => [.. _connections.Keys];

    public Task StartAsync(CancellationToken ct)
    {
        foreach (var address in _options.ListenAddresses)
        {
            var (hostProtocol, host, port) = address.GetTcpTarget();
            if (hostProtocol != MultiaddrProtocol.Ip4 && hostProtocol != MultiaddrProtocol.Ip6)
            {
                throw new NotSupportedException($"listen address must be ip4/ip6: {address}");
            }
            var listener = new TcpListener(IPAddress.Parse(host), port);
            listener.Start(backlog: 512);
            _listeners.Add(listener);
            lock (_listenAddresses)
            {
                _listenAddresses.Add(Multiaddr.FromEndPoint((IPEndPoint)listener.LocalEndpoint, PeerId));
            }
            _ = Task.Run(() => AcceptLoopAsync(listener), CancellationToken.None);
            _logger.LogInformation("listening on {Address}", _listenAddresses[^1]);
        }
        return Task.CompletedTask;
    }

    public void SetStreamHandler(string protocolId, Func<Libp2pStream, CancellationToken, Task> handler) =>
        _handlers[protocolId] = handler;

    public void RemoveStreamHandler(string protocolId) => _handlers.TryRemove(protocolId, out _);

    public void AddAddresses(PeerId peer, IEnumerable<Multiaddr> addresses) => _peerStore.Add(peer, addresses);

    public IReadOnlyList<Multiaddr> GetAddresses(PeerId peer) => _peerStore.Get(peer);

    public bool IsConnected(PeerId peer) => _connections.TryGetValue(peer, out var c) && !c.Session.IsClosed;

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
        foreach (var address in addresses)
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

    private async Task<Connection> DialAsync(Multiaddr address, PeerId? expected, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _connectionCount) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _connectionCount);
            throw new InvalidOperationException($"connection limit {_options.MaxConnections} reached");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
            timeout.CancelAfter(_options.HandshakeTimeout);
            var (hostProtocol, host, port) = address.GetTcpTarget();
            var ip = await ResolveAsync(hostProtocol, host, timeout.Token).ConfigureAwait(false);
            await socket.ConnectAsync(new IPEndPoint(ip, port), timeout.Token).ConfigureAwait(false);
            var connection = await UpgradeAsync(socket, initiator: true, expected, timeout.Token).ConfigureAwait(false);
            _logger.LogDebug("connected to {Peer} at {Address}", connection.RemotePeer, address);
            return connection;
        }
        catch
        {
            socket.Dispose();
            Interlocked.Decrement(ref _connectionCount);
            throw;
        }
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

    private async Task HandleInboundAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint;
        try
        {
            socket.NoDelay = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
            timeout.CancelAfter(_options.HandshakeTimeout);
            var connection = await UpgradeAsync(socket, initiator: false, null, timeout.Token).ConfigureAwait(false);
            _logger.LogDebug("accepted {Peer} from {Remote}", connection.RemotePeer, remote);
        }
        catch (Exception ex)
        {
            _logger.LogWarning("inbound connection from {Remote} failed during handshake: {Reason}", remote, ex.Message);
            socket.Dispose();
            Interlocked.Decrement(ref _connectionCount);
        }
    }

    /// <summary>multistream(/noise) → noise XX → multistream(/yamux/1.0.0) → yamux session.</summary>
    private async Task<Connection> UpgradeAsync(Socket socket, bool initiator, PeerId? expected, CancellationToken ct)
    {
        var remoteAddress = Multiaddr.FromEndPoint((IPEndPoint)socket.RemoteEndPoint!);
        var tcp = new NetworkStream(socket, ownsSocket: true);
        await NegotiateAsync(tcp, NoiseProtocol, initiator, ct).ConfigureAwait(false);
        var (secure, remotePeer) = await _noise.RunAsync(tcp, initiator, expected, ct).ConfigureAwait(false);
        await NegotiateAsync(secure, YamuxProtocol, initiator, ct).ConfigureAwait(false);

        Connection? connection = null;
        var session = new YamuxSession(secure, isClient: initiator, _options.MaxStreamsPerConnection,
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
        _connections[connection.RemotePeer] = connection;
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
            _logger.LogDebug("identify with {Peer} failed: {Reason}", peer, ex.Message);
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
            _logger.LogDebug("inbound stream {Protocol} from {Peer} failed: {Reason}", stream.Protocol, connection.RemotePeer, ex.Message);
            stream.Reset();
        }
    }

    private Task HandleIdentifyAsync(Libp2pStream stream, CancellationToken ct)
    {
        var info = new IdentifyInfo(_options.ProtocolVersion, _options.AgentVersion, _options.Identity.PublicKeyProto,
            ListenAddresses.Select(a => a.WithoutPeerId()).ToList(), stream.RemoteAddress.WithoutPeerId(), [.. _handlers.Keys]);
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
