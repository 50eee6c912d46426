using Microsoft.Extensions.Logging;
using Peerz.P2P.Relay.Wire;

namespace Peerz.P2P.Relay;

/// <summary>
/// The hop side of circuit relay v2: grants reservations (bounded in total, per IP, and in time) and joins a
/// CONNECT from any peer to a peer holding a reservation, within the limits of <see cref="CircuitRelayServiceOptions"/>.
/// Every refusal is answered with its status code and logged.
/// </summary>
public sealed class CircuitRelayService : IAsyncDisposable
{
    private readonly Libp2pHost _host;
    private readonly CircuitRelayServiceOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<PeerId, (string Ip, DateTimeOffset Expires)> _reservations = [];
    private readonly Dictionary<PeerId, int> _circuitsPerPeer = [];
    private int _circuits;

    public CircuitRelayService(Libp2pHost host, CircuitRelayServiceOptions options)
    {
        _host = host;
        _options = options;
        _logger = host.LoggerFactory.CreateLogger<CircuitRelayService>();
        host.SetStreamHandler(CircuitRelayProtocol.Hop, HandleHopAsync);
        host.PeerDisconnected += OnPeerDisconnected;
    }

    /// <summary>Reservations currently held (expired ones excluded).</summary>
    public int ReservationCount
    {
        get
        {
            lock (_lock)
            {
                RemoveExpired(DateTimeOffset.UtcNow);
                return _reservations.Count;
            }
        }
    }

    /// <summary>Relayed connections currently open.</summary>
    public int CircuitCount => Volatile.Read(ref _circuits);

    public ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return ValueTask.CompletedTask;
        }
        _host.RemoveStreamHandler(CircuitRelayProtocol.Hop);
        _host.PeerDisconnected -= OnPeerDisconnected;
        // Cancelled, not disposed: handlers still finishing link to its token (it holds no timer).
        _shutdown.Cancel();
        return ValueTask.CompletedTask;
    }

    private RelayLimit Limit => new((uint)Math.Min(_options.CircuitDuration.TotalSeconds, uint.MaxValue), (ulong)_options.CircuitDataLimit);

    private async Task HandleHopAsync(Libp2pStream stream, CancellationToken ct)
    {
        using var request = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
        request.CancelAfter(_options.RequestTimeout);
        HopMessage message;
        try
        {
            message = HopMessage.Decode(await RelayWire.ReadAsync(stream, CircuitRelayProtocol.MaxMessageSize, request.Token).ConfigureAwait(false),
                CircuitRelayProtocol.MaxAddresses);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException)
        {
            await RefuseAsync(stream, RelayStatus.MalformedMessage, ex.Message, request.Token).ConfigureAwait(false);
            return;
        }
        switch (message.Type)
        {
            case HopMessageType.Reserve:
                await ReserveAsync(stream, request.Token).ConfigureAwait(false);
                break;
            case HopMessageType.Connect:
                await ConnectAsync(stream, message, request).ConfigureAwait(false);
                break;
            default:
                await RefuseAsync(stream, RelayStatus.UnexpectedMessage, $"hop message of type {message.Type}", request.Token).ConfigureAwait(false);
                break;
        }
    }

    private async Task ReserveAsync(Libp2pStream stream, CancellationToken ct)
    {
        var peer = stream.RemotePeer;
        if (stream.RemoteAddress.IsCircuit)
        {
            await RefuseAsync(stream, RelayStatus.PermissionDenied, "reservation over a relayed connection", ct).ConfigureAwait(false);
            return;
        }
        var ip = stream.RemoteAddress.GetTcpTarget().Host;
        var now = DateTimeOffset.UtcNow;
        var expires = now + _options.ReservationTtl;
        string? refusal = null;
        lock (_lock)
        {
            RemoveExpired(now);
            if (!_reservations.ContainsKey(peer))
            {
                if (_reservations.Count >= _options.MaxReservations)
                {
                    refusal = $"reservation limit {_options.MaxReservations} reached";
                }
                else if (_reservations.Values.Count(r => r.Ip == ip) >= _options.MaxReservationsPerIp)
                {
                    refusal = $"reservation limit {_options.MaxReservationsPerIp} for {ip} reached";
                }
            }
            if (refusal is null)
            {
                _reservations[peer] = (ip, expires);
            }
        }
        if (refusal is not null)
        {
            await RefuseAsync(stream, RelayStatus.ReservationRefused, refusal, ct).ConfigureAwait(false);
            return;
        }
        var expire = (ulong)expires.ToUnixTimeSeconds();
        var addresses = _host.AdvertisedAddresses.Where(a => !a.IsCircuit).Take(_options.MaxAdvertisedAddresses)
            .Select(a => a.WithPeerId(_host.PeerId)).ToList();
        var voucher = new ReservationVoucher(_host.PeerId, peer, expire).Seal(_host.Options.Identity);
        var answer = HopMessage.Answer(RelayStatus.Ok, new ReservationInfo(expire, addresses, voucher), Limit);
        await RelayWire.WriteAsync(stream, answer.Encode(), ct).ConfigureAwait(false);
        _logger.LogInformation("reservation for {Peer} from {Ip} until {Expires:u}", peer, ip, expires);
    }

    private async Task ConnectAsync(Libp2pStream stream, HopMessage message, CancellationTokenSource request)
    {
        var source = stream.RemotePeer;
        if (stream.RemoteAddress.IsCircuit)
        {
            await RefuseAsync(stream, RelayStatus.PermissionDenied, "connect over a relayed connection", request.Token).ConfigureAwait(false);
            return;
        }
        if (message.Peer is not { } targetInfo)
        {
            await RefuseAsync(stream, RelayStatus.MalformedMessage, "connect without a peer", request.Token).ConfigureAwait(false);
            return;
        }
        var target = targetInfo.Id;
        if (!HasReservation(target) || !_host.IsConnected(target))
        {
            await RefuseAsync(stream, RelayStatus.NoReservation, $"connect to {target}, which holds no reservation", request.Token).ConfigureAwait(false);
            return;
        }
        if (TryOpenCircuit(source, target) is { } limitReached)
        {
            await RefuseAsync(stream, RelayStatus.ResourceLimitExceeded, limitReached, request.Token).ConfigureAwait(false);
            return;
        }
        try
        {
            var stop = await OpenStopAsync(source, target, request.Token).ConfigureAwait(false);
            if (stop is null)
            {
                await RefuseAsync(stream, RelayStatus.ConnectionFailed, $"{target} did not accept the stop request", request.Token).ConfigureAwait(false);
                return;
            }
            await using (stop.ConfigureAwait(false))
            {
                await RelayWire.WriteAsync(stream, HopMessage.Answer(RelayStatus.Ok, limit: Limit).Encode(), request.Token).ConfigureAwait(false);
                _logger.LogDebug("circuit {Source} -> {Target} open", source, target);
                await CircuitSplice.RunAsync(stream, stop, _options.CircuitDuration, _options.CircuitDataLimit, _logger, _shutdown.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            CloseCircuit(source, target);
        }
    }

    /// <summary>Opens STOP on the target's connection; the stream when the target answered OK, else null.</summary>
    private async Task<Libp2pStream?> OpenStopAsync(PeerId source, PeerId target, CancellationToken ct)
    {
        Libp2pStream stop;
        try
        {
            stop = await _host.OpenStreamAsync(target, CircuitRelayProtocol.Stop, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ProtocolNotSupportedException or OperationCanceledException)
        {
            _logger.LogInformation("stop stream to {Target} failed: {Reason}", target, ex.Message);
            return null;
        }
        try
        {
            var request = new StopMessage(StopMessageType.Connect, new RelayPeerInfo(source, []), Limit);
            await RelayWire.WriteAsync(stop, request.Encode(), ct).ConfigureAwait(false);
            var answer = StopMessage.Decode(await RelayWire.ReadAsync(stop, CircuitRelayProtocol.MaxMessageSize, ct).ConfigureAwait(false),
                CircuitRelayProtocol.MaxAddresses);
            if (answer.Type == StopMessageType.Status && answer.Status == RelayStatus.Ok)
            {
                return stop;
            }
            _logger.LogInformation("{Target} refused the stop request: {Status}", target, answer.Status);
        }
        catch (Exception ex) when (ex is IOException or FormatException or InvalidDataException or OperationCanceledException)
        {
            _logger.LogInformation("stop exchange with {Target} failed: {Reason}", target, ex.Message);
        }
        stop.Reset();
        return null;
    }

    private bool HasReservation(PeerId peer)
    {
        lock (_lock)
        {
            RemoveExpired(DateTimeOffset.UtcNow);
            return _reservations.ContainsKey(peer);
        }
    }

    /// <summary>Counts a new circuit, or says which limit it would exceed.</summary>
    private string? TryOpenCircuit(PeerId source, PeerId target)
    {
        lock (_lock)
        {
            if (_circuits >= _options.MaxCircuits)
            {
                return $"circuit limit {_options.MaxCircuits} reached";
            }
            foreach (var peer in new[] { source, target })
            {
                if (_circuitsPerPeer.GetValueOrDefault(peer) >= _options.MaxCircuitsPerPeer)
                {
                    return $"circuit limit {_options.MaxCircuitsPerPeer} for {peer} reached";
                }
            }
            _circuits++;
            _circuitsPerPeer[source] = _circuitsPerPeer.GetValueOrDefault(source) + 1;
            _circuitsPerPeer[target] = _circuitsPerPeer.GetValueOrDefault(target) + 1;
            return null;
        }
    }

    private void CloseCircuit(PeerId source, PeerId target)
    {
        lock (_lock)
        {
            _circuits--;
            foreach (var peer in new[] { source, target })
            {
                if (--_circuitsPerPeer[peer] == 0)
                {
                    _circuitsPerPeer.Remove(peer);
                }
            }
        }
    }

    private void RemoveExpired(DateTimeOffset now)
    {
        foreach (var expired in _reservations.Where(r => r.Value.Expires <= now).Select(r => r.Key).ToList())
        {
            _reservations.Remove(expired);
        }
    }

    /// <summary>A reservation lives as long as the peer's connection to us: whoever reaches it through us needs that connection.</summary>
    private void OnPeerDisconnected(object? sender, PeerConnectedEventArgs e)
    {
        if (_host.IsConnected(e.Peer))
        {
            return;
        }
        lock (_lock)
        {
            if (_reservations.Remove(e.Peer))
            {
                _logger.LogInformation("reservation for {Peer} dropped: disconnected", e.Peer);
            }
        }
    }

    private async Task RefuseAsync(Libp2pStream stream, RelayStatus status, string reason, CancellationToken ct)
    {
        _logger.LogWarning("hop request from {Peer} refused with {Status}: {Reason}", stream.RemotePeer, status, reason);
        try
        {
            await RelayWire.WriteAsync(stream, HopMessage.Answer(status).Encode(), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The requester is gone; the refusal is logged all the same.
        }
    }
}
