using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Peerz.P2P.AutoNat;
using Peerz.P2P.Encoding;
using Peerz.P2P.Host;

namespace Peerz.P2P.Dcutr;

/// <summary>
/// DCUtR (/libp2p/dcutr): upgrades a relayed connection to a direct one by a synchronised simultaneous TCP open.
/// The peer that received the relayed connection (B) starts: CONNECT with its candidate addresses, the other
/// (A) answers CONNECT with its own, B measures the round trip, sends SYNC, waits half of it and dials; A dials
/// as soon as SYNC arrives. Both dial from their listen port. As in js-libp2p, A runs the security handshake as
/// initiator and B as responder, so a simultaneous open (one TCP connection both sides "dialled") has one of
/// each; when instead one side's SYN lands on the other's listener (no NAT between them), the dial that arrived
/// completes and the other side's own dial fails at once because that TCP 4-tuple is taken: A's dial lands on a
/// listener that responds anyway, and B's is recognised by A's listener (it comes from an address of B's CONNECT)
/// and run with A as initiator. A peer that dials from another port (js-libp2p) makes a second connection instead,
/// so each side also takes the other's dial arriving as success. Up to <see cref="HolePuncherOptions.MaxAttempts"/>
/// rounds; on success the relayed connection is closed, on failure it is kept.
/// </summary>
public sealed class HolePuncher : IAsyncDisposable
{
    private readonly Libp2pHost _host;
    private readonly HolePuncherOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<PeerId, byte> _upgrading = new();
    private readonly CancellationTokenSource _stop = new();

    public HolePuncher(Libp2pHost host, HolePuncherOptions options)
    {
        _host = host;
        _options = options;
        _logger = host.LoggerFactory.CreateLogger<HolePuncher>();
        host.SetStreamHandler(HolePunchMessage.ProtocolId, HandleAsync);
        host.PeerConnected += OnPeerConnected;
    }

    public event EventHandler<HolePunchResult>? Completed;

    /// <summary>
    /// Runs DCUtR as the initiating side (B) over the connection that serves <paramref name="peer"/> now.
    /// True: a new direct connection serves the peer and the one we coordinated over was closed.
    /// </summary>
    public async Task<bool> TryUpgradeAsync(PeerId peer, CancellationToken ct)
    {
        if (_host.GetConnection(peer) is not { } original)
        {
            return false;
        }
        if (!_upgrading.TryAdd(peer, 0))
        {
            return false;
        }
        var attempts = 0;
        string? error = null;
        try
        {
            await using var stream = await _host.OpenStreamAsync(peer, HolePunchMessage.ProtocolId, ct).ConfigureAwait(false);
            while (attempts < _options.MaxAttempts)
            {
                attempts++;
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
                attempt.CancelAfter(_options.AttemptTimeout);
                var started = Stopwatch.GetTimestamp();
                await WriteAsync(stream, HolePunchType.Connect, attempt.Token).ConfigureAwait(false);
                var connect = await ReadAsync(stream, attempt.Token).ConfigureAwait(false);
                var rtt = Stopwatch.GetElapsedTime(started);
                if (connect.Type != HolePunchType.Connect)
                {
                    throw new InvalidDataException($"expected CONNECT, got {connect.Type}");
                }
                var targets = DialableAddresses(peer, connect);
                using var direct = WatchForDirect(peer, original);
                await WriteAsync(stream, HolePunchType.Sync, attempt.Token).ConfigureAwait(false);
                attempt.CancelAfter(rtt / 2 + PunchTimeout(rtt));
                await Task.Delay(rtt / 2, attempt.Token).ConfigureAwait(false);
                try
                {
                    error = await PunchAsync(peer, targets, securityInitiator: false, direct, attempt.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested && !_stop.IsCancellationRequested)
                {
                    // Our dial outlived the attempt: e.g. without a NAT between us it reached their listener, where
                    // both sides wait as responders. The messages are in step again, so try the next round.
                    error = "dial timed out";
                }
                if (error is null)
                {
                    stream.Reset();
                    return await SucceededAsync(peer, original, attempts).ConfigureAwait(false);
                }
                _logger.LogDebug("dcutr: attempt {Attempt} with {Peer} failed: {Reason}", attempts, peer, error);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            error = ex.Message;
        }
        finally
        {
            _upgrading.TryRemove(peer, out _);
        }
        return Failed(peer, attempts, error);
    }

    /// <summary>
    /// How long the dials of one attempt may take: a simultaneous open that works completes in a few round trips (TCP,
    /// multistream, noise), and <paramref name="relayedRtt"/> (measured over the relay) is longer than the direct one,
    /// so ten of them is generous; bounded below for loaded machines and above by the attempt's own bound. A NAT that
    /// defeats the punch (symmetric mapping) then costs a few seconds rather than several full attempt timeouts.
    /// </summary>
    private TimeSpan PunchTimeout(TimeSpan relayedRtt) =>
        TimeSpan.FromTicks(Math.Clamp(relayedRtt.Ticks * 10, _options.MinPunchTimeout.Ticks, _options.AttemptTimeout.Ticks));

    public async ValueTask DisposeAsync()
    {
        _host.PeerConnected -= OnPeerConnected;
        _host.RemoveStreamHandler(HolePunchMessage.ProtocolId);
        await _stop.CancelAsync().ConfigureAwait(false);
    }

    private void OnPeerConnected(object? sender, PeerConnectedEventArgs e)
    {
        if (_options.AutoUpgrade && e.Inbound && e.RemoteAddress.IsCircuit)
        {
            _ = Task.Run(() => TryUpgradeAsync(e.Peer, _stop.Token));
        }
    }

    /// <summary>The side that did not start (A): answers each CONNECT with ours, and dials as soon as SYNC arrives.</summary>
    private async Task HandleAsync(Libp2pStream stream, CancellationToken ct)
    {
        var peer = stream.RemotePeer;
        var original = _host.GetConnection(peer);
        string? error = null;
        var attempts = 0;
        try
        {
            while (attempts < _options.MaxAttempts)
            {
                HolePunchMessage connect;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token))
                {
                    // B's next CONNECT follows its failed dials, which take at most one attempt's time.
                    wait.CancelAfter(_options.AttemptTimeout * 2);
                    var message = await LengthPrefixed.TryReadAsync(stream, _options.MaxMessageSize, wait.Token).ConfigureAwait(false);
                    if (message is null)
                    {
                        return; // B is done (it succeeded, or gave up)
                    }
                    connect = HolePunchMessage.Decode(message);
                }
                attempts++;
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
                attempt.CancelAfter(_options.AttemptTimeout);
                if (connect.Type != HolePunchType.Connect)
                {
                    throw new InvalidDataException($"expected CONNECT, got {connect.Type}");
                }
                var targets = DialableAddresses(peer, connect);
                // From our CONNECT on, B may dial; its dial landing on our listener is run with us as initiator.
                using var expected = _host.ExpectHolePunchFrom(targets.Select(TcpEndPoints.Of).OfType<IPEndPoint>(), peer);
                var started = Stopwatch.GetTimestamp();
                await WriteAsync(stream, HolePunchType.Connect, attempt.Token).ConfigureAwait(false);
                var sync = await ReadAsync(stream, attempt.Token).ConfigureAwait(false);
                if (sync.Type != HolePunchType.Sync)
                {
                    throw new InvalidDataException($"expected SYNC, got {sync.Type}");
                }
                attempt.CancelAfter(PunchTimeout(Stopwatch.GetElapsedTime(started)));
                using var direct = WatchForDirect(peer, original);
                try
                {
                    error = await PunchAsync(peer, targets, securityInitiator: true, direct, attempt.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested && !_stop.IsCancellationRequested)
                {
                    error = "dial timed out";
                }
                if (error is null)
                {
                    await SucceededAsync(peer, original, attempts).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            error = ex.Message;
            stream.Reset();
        }
        Failed(peer, attempts, error);
    }

    /// <summary>
    /// Dials the targets from our listen port; null when a direct connection serves the peer afterwards (ours, or
    /// theirs that reached our listener), else why not.
    /// </summary>
    private async Task<string?> PunchAsync(PeerId peer, IReadOnlyList<Multiaddr> targets, bool securityInitiator, DirectConnectionWatch direct, CancellationToken ct)
    {
        var error = "no address to dial";
        foreach (var target in targets)
        {
            try
            {
                if (await DialOrArrivalAsync(target.WithPeerId(peer), peer, securityInitiator, direct, ct).ConfigureAwait(false))
                {
                    return null;
                }
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressAlreadyInUse)
            {
                // This 4-tuple is taken: their SYN reached our listener; that connection is being upgraded.
                return await direct.WaitAsync(ct).ConfigureAwait(false) ? null : ex.Message;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                error = $"{target}: {ex.Message}";
            }
        }
        return direct.HasDirect() ? null : error;
    }

    /// <summary>
    /// Our dial, raced against the peer's dial reaching our listener. A peer that does not dial from its listen port
    /// (js-libp2p) makes a second TCP connection rather than a simultaneous open; when we are B, ours then meets
    /// their listener with both sides waiting as security responders, and only their dial can complete. True once
    /// either gave a direct connection (ours is then abandoned); an exception is our dial's failure.
    /// </summary>
    private async Task<bool> DialOrArrivalAsync(Multiaddr target, PeerId peer, bool securityInitiator, DirectConnectionWatch direct, CancellationToken ct)
    {
        using var race = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var dialing = _host.HolePunchDialAsync(target, peer, securityInitiator, race.Token);
        var arrival = direct.WaitAsync(race.Token);
        if (await Task.WhenAny(dialing, arrival).ConfigureAwait(false) == arrival && await arrival.ConfigureAwait(false))
        {
            await race.CancelAsync().ConfigureAwait(false);
            try
            {
                await dialing.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogDebug(ex, "dcutr: abandoned our dial to {Target}, the peer's reached us: {Reason}", target, ex.Message);
            }
            return true;
        }
        await race.CancelAsync().ConfigureAwait(false);
        await dialing.ConfigureAwait(false);
        return true;
    }

    private DirectConnectionWatch WatchForDirect(PeerId peer, Connection? original) => new(_host, peer, original);

    private async Task<bool> SucceededAsync(PeerId peer, Connection? original, int attempts)
    {
        var address = _host.GetConnectionAddress(peer);
        if (original is not null && !ReferenceEquals(_host.GetConnection(peer), original))
        {
            await original.Session.DisposeAsync().ConfigureAwait(false);
        }
        _logger.LogInformation("dcutr: direct connection to {Peer} at {Address} after {Attempts} attempt(s); closed the connection via {Original}",
            peer, address, attempts, original?.RemoteAddress);
        Completed?.Invoke(this, new HolePunchResult(peer, true, attempts, address, null));
        return true;
    }

    private bool Failed(PeerId peer, int attempts, string? error)
    {
        _logger.LogInformation("dcutr: no direct connection to {Peer} after {Attempts} attempt(s), keeping the relayed one: {Reason}", peer, attempts, error);
        Completed?.Invoke(this, new HolePunchResult(peer, false, attempts, null, error));
        return false;
    }

    /// <summary>The plain TCP addresses of a CONNECT, at most the configured number; none is a refusal, logged.</summary>
    private List<Multiaddr> DialableAddresses(PeerId peer, HolePunchMessage connect)
    {
        var targets = new List<Multiaddr>();
        foreach (var bytes in connect.ObservedAddresses.Take(_options.MaxAddresses))
        {
            try
            {
                if (TcpEndPoints.Of(Multiaddr.FromBytes(bytes)) is { } endPoint && Multiaddr.FromEndPoint(endPoint) is var target && !targets.Contains(target))
                {
                    targets.Add(target);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // counted below
            }
        }
        if (targets.Count == 0)
        {
            _logger.LogWarning("dcutr: refused CONNECT from {Peer}: none of its {Count} addresses is a dialable TCP address", peer, connect.ObservedAddresses.Count);
            throw new InvalidDataException("CONNECT without a dialable address");
        }
        return targets;
    }

    private Task WriteAsync(Stream stream, HolePunchType type, CancellationToken ct)
    {
        var addresses = type == HolePunchType.Connect
            ? CandidateAddresses.For(_host.Addresses).Take(_options.MaxAddresses).Select(a => a.ToBytes()).ToList()
            : [];
        return LengthPrefixed.WriteAsync(stream, new HolePunchMessage(type, addresses).Encode(), ct).AsTask();
    }

    private async Task<HolePunchMessage> ReadAsync(Stream stream, CancellationToken ct) =>
        HolePunchMessage.Decode(await LengthPrefixed.ReadAsync(stream, _options.MaxMessageSize, ct).ConfigureAwait(false));
}
