using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Peerz.P2P.Host;
using Peerz.P2P.Relay.Wire;

namespace Peerz.P2P.Relay;

/// <summary>
/// The client side of circuit relay v2: holds reservations on relays (advertising the /p2p-circuit addresses
/// they give us, renewing them before they expire), accepts relayed connections (STOP), and dials
/// /p2p-circuit addresses for the host (hop CONNECT). A relayed connection gets the same noise + yamux upgrade
/// as a direct one, and noise checks the target's id, so a relay cannot pass anyone else off as the target.
/// </summary>
public sealed class CircuitRelayClient : IAsyncDisposable, ICircuitDialer
{
    private readonly Libp2pHost _host;
    private readonly CircuitRelayClientOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<PeerId, Held> _held = new();

    public CircuitRelayClient(Libp2pHost host, CircuitRelayClientOptions options)
    {
        _host = host;
        _options = options;
        _logger = host.LoggerFactory.CreateLogger<CircuitRelayClient>();
        host.SetStreamHandler(CircuitRelayProtocol.Stop, HandleStopAsync);
        host.CircuitDialer = this;
        host.PeerDisconnected += OnPeerDisconnected;
    }

    /// <summary>Raised when a reservation ends without <see cref="ReleaseAsync"/>: renewal failed or the relay disconnected.</summary>
    public event EventHandler<RelayReservation>? ReservationLost;

    public IReadOnlyList<RelayReservation> Reservations => [.. _held.Values.Select(h => h.Reservation)];

    /// <summary>
    /// Reserves a slot on <paramref name="relay"/> (connected, or dialable from the peer store) or renews ours,
    /// advertises the circuit addresses, and keeps renewing it until released or lost.
    /// </summary>
    public async Task<RelayReservation> ReserveAsync(PeerId relay, CancellationToken ct)
    {
        if (!_held.ContainsKey(relay) && _held.Count >= _options.MaxReservations)
        {
            throw new InvalidOperationException($"already holding {_options.MaxReservations} reservations");
        }
        var reservation = await RequestReservationAsync(relay, ct).ConfigureAwait(false);
        var renewal = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        var held = new Held(reservation, renewal);
        Held? previous = null;
        _held.AddOrUpdate(relay, held, (_, existing) =>
        {
            previous = existing;
            return held;
        });
        if (previous is not null)
        {
            previous.Renewal.Cancel();
            Unadvertise(previous.Reservation.CircuitAddresses.Except(reservation.CircuitAddresses));
        }
        foreach (var address in reservation.CircuitAddresses)
        {
            _host.Addresses.AddAdvertised(address);
        }
        _logger.LogInformation("reserved on relay {Relay} until {Expires:u}: {Addresses}", relay, reservation.Expires,
            string.Join(", ", reservation.CircuitAddresses));
        _ = Task.Run(() => RenewAsync(held, renewal.Token), CancellationToken.None);
        return reservation;
    }

    /// <summary>Stops renewing a reservation and withdraws its addresses (the relay lets it expire).</summary>
    public Task ReleaseAsync(PeerId relay)
    {
        Release(relay);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return ValueTask.CompletedTask;
        }
        _host.PeerDisconnected -= OnPeerDisconnected;
        _host.RemoveStreamHandler(CircuitRelayProtocol.Stop);
        if (_host.CircuitDialer == this)
        {
            _host.CircuitDialer = null;
        }
        foreach (var relay in _held.Keys)
        {
            Release(relay);
        }
        // Cancelled, not disposed: handlers still finishing link to its token (it holds no timer).
        _shutdown.Cancel();
        return ValueTask.CompletedTask;
    }

    private void Release(PeerId relay)
    {
        if (_held.TryRemove(relay, out var held))
        {
            held.Renewal.Cancel();
            Unadvertise(held.Reservation.CircuitAddresses);
            _logger.LogInformation("released reservation on relay {Relay}", relay);
        }
    }

    /// <summary>Hop CONNECT through the relay named in the address; the raw stream to the target once the relay answered OK.</summary>
    async Task<Stream> ICircuitDialer.DialAsync(Multiaddr circuitAddress, CancellationToken ct)
    {
        var relay = circuitAddress.RelayPeerId ?? throw new FormatException($"'{circuitAddress}' names no relay");
        var target = circuitAddress.PeerId ?? throw new FormatException($"'{circuitAddress}' names no target");
        var relayAddress = circuitAddress.RelayAddress;
        if (relayAddress.Components.Count > 1 && !_host.IsConnected(relay))
        {
            await _host.ConnectAsync(relayAddress, ct).ConfigureAwait(false);
        }
        using var request = CancellationTokenSource.CreateLinkedTokenSource(ct);
        request.CancelAfter(_options.RequestTimeout);
        var stream = await _host.OpenStreamAsync(relay, CircuitRelayProtocol.Hop, request.Token).ConfigureAwait(false);
        try
        {
            var connect = new HopMessage(HopMessageType.Connect, new RelayPeerInfo(target, []));
            var answer = await ExchangeAsync(stream, connect, request.Token).ConfigureAwait(false);
            if (answer.Status != RelayStatus.Ok)
            {
                throw new CircuitRelayException(answer.Status, $"relay {relay} refused to connect us to {target}: {answer.Status}");
            }
            _logger.LogDebug("relay {Relay} connected us to {Target} (limit {Limit})", relay, target, answer.Limit);
            return new RelayedStream(stream);
        }
        catch
        {
            stream.Reset();
            throw;
        }
    }

    private async Task<RelayReservation> RequestReservationAsync(PeerId relay, CancellationToken ct)
    {
        using var request = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
        request.CancelAfter(_options.RequestTimeout);
        await using var stream = await _host.OpenStreamAsync(relay, CircuitRelayProtocol.Hop, request.Token).ConfigureAwait(false);
        var answer = await ExchangeAsync(stream, new HopMessage(HopMessageType.Reserve), request.Token).ConfigureAwait(false);
        if (answer.Status != RelayStatus.Ok)
        {
            throw new CircuitRelayException(answer.Status, $"relay {relay} refused a reservation: {answer.Status}");
        }
        var info = answer.Reservation ?? throw new CircuitRelayException(null, $"relay {relay} accepted without a reservation");
        var expires = DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(info.Expire, (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        if (expires <= DateTimeOffset.UtcNow)
        {
            throw new CircuitRelayException(null, $"relay {relay} granted a reservation that expired at {expires:u}");
        }
        if (info.Voucher is not null)
        {
            CheckVoucher(relay, info);
        }
        var relayAddresses = info.Addresses.Where(a => !a.IsCircuit).ToList();
        if (relayAddresses.Count == 0 && _host.GetConnectionAddress(relay) is { IsCircuit: false } connected)
        {
            relayAddresses.Add(connected);
        }
        var circuits = relayAddresses
            .Select(a => a.WithPeerId(relay).WithCircuitTo(_host.PeerId))
            .Distinct()
            .Take(_options.MaxAddressesPerRelay)
            .ToList();
        return new RelayReservation(relay, expires, circuits, answer.Limit);
    }

    /// <summary>The voucher is optional on the wire (js-libp2p does not check it); one that is present must be the relay's, for us, for this expiry.</summary>
    private void CheckVoucher(PeerId relay, ReservationInfo info)
    {
        ReservationVoucher voucher;
        try
        {
            voucher = ReservationVoucher.Open(info.Voucher);
        }
        catch (FormatException ex)
        {
            throw new CircuitRelayException(null, $"relay {relay} sent a bad reservation voucher: {ex.Message}");
        }
        if (voucher.Relay != relay || voucher.Peer != _host.PeerId || voucher.Expiration != info.Expire)
        {
            throw new CircuitRelayException(null, $"relay {relay} sent a voucher for another reservation");
        }
    }

    private static async Task<HopMessage> ExchangeAsync(Libp2pStream stream, HopMessage message, CancellationToken ct)
    {
        await RelayWire.WriteAsync(stream, message.Encode(), ct).ConfigureAwait(false);
        HopMessage answer;
        try
        {
            answer = HopMessage.Decode(await RelayWire.ReadAsync(stream, CircuitRelayProtocol.MaxMessageSize, ct).ConfigureAwait(false),
                CircuitRelayProtocol.MaxAddresses);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException)
        {
            throw new CircuitRelayException(null, $"relay {stream.RemotePeer} answered with a malformed message: {ex.Message}");
        }
        if (answer.Type != HopMessageType.Status)
        {
            throw new CircuitRelayException(null, $"relay {stream.RemotePeer} answered with a {answer.Type} message");
        }
        return answer;
    }

    /// <summary>Renews before expiry, retrying with backoff; gives the reservation up as lost when that fails.</summary>
    private async Task RenewAsync(Held held, CancellationToken ct)
    {
        var relay = held.Reservation.Relay;
        try
        {
            var remaining = held.Reservation.Expires - DateTimeOffset.UtcNow;
            var margin = TimeSpan.FromTicks(Math.Min(_options.RenewBeforeExpiry.Ticks, remaining.Ticks / 2));
            await Task.Delay(remaining - margin, ct).ConfigureAwait(false);
            var delay = _options.RenewRetryDelay;
            for (var attempt = 1; attempt <= _options.MaxRenewAttempts; attempt++)
            {
                try
                {
                    await ReserveAsync(relay, ct).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or CircuitRelayException
                    or ProtocolNotSupportedException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    _logger.LogWarning("renewing the reservation on {Relay} failed (attempt {Attempt}): {Reason}", relay, attempt, ex.Message);
                }
                if (DateTimeOffset.UtcNow + delay >= held.Reservation.Expires)
                {
                    break;
                }
                await Task.Delay(delay, ct).ConfigureAwait(false);
                delay *= 2;
            }
            Lose(relay, held, "renewal failed");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Released, replaced by a renewal, or shutting down.
        }
    }

    private void OnPeerDisconnected(object? sender, PeerConnectedEventArgs e)
    {
        if (_held.TryGetValue(e.Peer, out var held) && !_host.IsConnected(e.Peer))
        {
            Lose(e.Peer, held, "relay disconnected");
        }
    }

    private void Lose(PeerId relay, Held held, string reason)
    {
        if (!_held.TryRemove(new KeyValuePair<PeerId, Held>(relay, held)))
        {
            return;
        }
        held.Renewal.Cancel();
        Unadvertise(held.Reservation.CircuitAddresses);
        _logger.LogWarning("reservation on relay {Relay} lost: {Reason}", relay, reason);
        ReservationLost?.Invoke(this, held.Reservation);
    }

    private void Unadvertise(IEnumerable<Multiaddr> addresses)
    {
        foreach (var address in addresses)
        {
            _host.Addresses.RemoveAdvertised(address);
        }
    }

    /// <summary>A relay asks us to accept a peer: answer OK and give the stream to the host for the responder upgrade.</summary>
    private async Task HandleStopAsync(Libp2pStream stream, CancellationToken ct)
    {
        StopMessage request;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(_options.RequestTimeout);
            try
            {
                request = StopMessage.Decode(await RelayWire.ReadAsync(stream, CircuitRelayProtocol.MaxMessageSize, timeout.Token).ConfigureAwait(false),
                    CircuitRelayProtocol.MaxAddresses);
            }
            catch (Exception ex) when (ex is FormatException or InvalidDataException)
            {
                await RefuseStopAsync(stream, RelayStatus.MalformedMessage, ex.Message, timeout.Token).ConfigureAwait(false);
                return;
            }
            if (request.Type != StopMessageType.Connect)
            {
                await RefuseStopAsync(stream, RelayStatus.UnexpectedMessage, $"stop message of type {request.Type}", timeout.Token).ConfigureAwait(false);
                return;
            }
            if (request.Peer is null)
            {
                await RefuseStopAsync(stream, RelayStatus.MalformedMessage, "stop connect without a peer", timeout.Token).ConfigureAwait(false);
                return;
            }
            await RelayWire.WriteAsync(stream, StopMessage.Answer(RelayStatus.Ok).Encode(), timeout.Token).ConfigureAwait(false);
        }
        var source = request.Peer.Id;
        var remoteAddress = stream.RemoteAddress.WithPeerId(stream.RemotePeer).WithCircuitTo(source).WithoutPeerId();
        _logger.LogDebug("relay {Relay} brings {Source} (limit {Limit})", stream.RemotePeer, source, request.Limit);
        var transport = new RelayedStream(stream);
        await _host.AcceptRelayedAsync(transport, remoteAddress).ConfigureAwait(false);
        // The host owns the stream now; this handler returning would close it under the relayed connection.
        await transport.Closed.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task RefuseStopAsync(Libp2pStream stream, RelayStatus status, string reason, CancellationToken ct)
    {
        _logger.LogWarning("stop request from relay {Relay} refused with {Status}: {Reason}", stream.RemotePeer, status, reason);
        await RelayWire.WriteAsync(stream, StopMessage.Answer(status).Encode(), ct).ConfigureAwait(false);
    }

    private sealed record Held(RelayReservation Reservation, CancellationTokenSource Renewal);
}
