using Microsoft.Extensions.Logging;
using Peerz.P2P.Encoding;

namespace Peerz.P2P.AutoNat;

/// <summary>
/// AutoNAT v1 server (/libp2p/autonat/1.0.0): a peer asks us to dial it back so it learns whether it is reachable.
/// We dial only addresses whose IP is the one its connection comes from (so we cannot be used to attack a third
/// party), never over a relayed connection, each time with a fresh connection and noise handshake that must reach
/// the requester's peer id. Requests are rate-limited per peer and in total, dial-backs are bounded in number and
/// time; every refusal is answered with a status and logged.
/// </summary>
public sealed class AutoNatService : IAsyncDisposable
{
    private readonly Libp2pHost _host;
    private readonly AutoNatServiceOptions _options;
    private readonly ILogger _logger;
    private readonly AutoNatRateLimiter _rateLimiter;
    private readonly SemaphoreSlim _dialBacks;

    public AutoNatService(Libp2pHost host, AutoNatServiceOptions options)
    {
        _host = host;
        _options = options;
        _logger = host.LoggerFactory.CreateLogger<AutoNatService>();
        _rateLimiter = new AutoNatRateLimiter(options.MaxRequestsPerPeer, options.MaxRequests, options.RateLimitInterval, TimeProvider.System);
        _dialBacks = new SemaphoreSlim(options.MaxConcurrentDialBacks, options.MaxConcurrentDialBacks);
        host.SetStreamHandler(AutoNatMessage.ProtocolId, HandleAsync);
    }

    public ValueTask DisposeAsync()
    {
        _host.RemoveStreamHandler(AutoNatMessage.ProtocolId);
        return ValueTask.CompletedTask;
    }

    private async Task HandleAsync(Libp2pStream stream, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.StreamTimeout + _options.DialBackTimeout);
        AutoNatMessage response;
        try
        {
            byte[] request;
            using (var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token))
            {
                readTimeout.CancelAfter(_options.StreamTimeout);
                request = await LengthPrefixed.ReadAsync(stream, _options.MaxMessageSize, readTimeout.Token).ConfigureAwait(false);
            }
            response = await AnswerAsync(stream, AutoNatMessage.Decode(request), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or OverflowException)
        {
            response = Refuse(stream, AutoNatResponseStatus.BadRequest, $"malformed request: {ex.Message}");
        }
        await LengthPrefixed.WriteAsync(stream, response.Encode(), timeout.Token).ConfigureAwait(false);
    }

    private async Task<AutoNatMessage> AnswerAsync(Libp2pStream stream, AutoNatMessage request, CancellationToken ct)
    {
        if (request.Type != AutoNatMessageType.Dial || request.Dial is null)
        {
            return Refuse(stream, AutoNatResponseStatus.BadRequest, "expected a DIAL message");
        }
        if (request.Dial.PeerId is null || !request.Dial.PeerId.AsSpan().SequenceEqual(stream.RemotePeer.Bytes))
        {
            return Refuse(stream, AutoNatResponseStatus.BadRequest, "peer id does not match the connection's peer");
        }
        if (!_rateLimiter.TryAdmit(stream.RemotePeer))
        {
            return Refuse(stream, AutoNatResponseStatus.DialRefused, "rate limited");
        }
        if (TcpEndPoints.Of(stream.RemoteAddress) is not { } observed)
        {
            return Refuse(stream, AutoNatResponseStatus.DialRefused, "request not on a direct TCP connection");
        }
        var targets = new List<Multiaddr>();
        var foreign = 0;
        foreach (var bytes in request.Dial.Addresses.Take(_options.MaxAddressesPerRequest))
        {
            var address = TryParse(bytes);
            var endPoint = address is null ? null : TcpEndPoints.Of(address);
            if (endPoint is null || !endPoint.Address.Equals(observed.Address))
            {
                foreign++;
                continue;
            }
            var target = Multiaddr.FromEndPoint(endPoint);
            if (!targets.Contains(target))
            {
                targets.Add(target);
            }
        }
        if (targets.Count == 0)
        {
            return Refuse(stream, AutoNatResponseStatus.DialRefused, $"no address on {observed.Address} ({foreign} others ignored)");
        }
        if (!await _dialBacks.WaitAsync(TimeSpan.Zero, ct).ConfigureAwait(false))
        {
            return Refuse(stream, AutoNatResponseStatus.DialRefused, "too many dial-backs in progress");
        }
        try
        {
            return await DialBackAsync(stream.RemotePeer, targets, ct).ConfigureAwait(false);
        }
        finally
        {
            _dialBacks.Release();
        }
    }

    private async Task<AutoNatMessage> DialBackAsync(PeerId peer, List<Multiaddr> targets, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.DialBackTimeout);
        var reason = "";
        foreach (var target in targets)
        {
            try
            {
                await _host.VerifyDialAsync(target.WithPeerId(peer), peer, timeout.Token).ConfigureAwait(false);
                _logger.LogInformation("autonat: dialled {Peer} back at {Address}", peer, target);
                return AutoNatMessage.Response(AutoNatResponseStatus.Ok, address: target);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                reason = ex.Message;
                _logger.LogDebug("autonat: dial-back to {Peer} at {Address} failed: {Reason}", peer, target, reason);
            }
        }
        _logger.LogInformation("autonat: could not dial {Peer} back at any of {Count} addresses: {Reason}", peer, targets.Count, reason);
        return AutoNatMessage.Response(AutoNatResponseStatus.DialError, $"dial-back failed: {reason}");
    }

    private AutoNatMessage Refuse(Libp2pStream stream, AutoNatResponseStatus status, string reason)
    {
        _logger.LogWarning("autonat: refused request from {Peer} at {Address}: {Status} {Reason}", stream.RemotePeer, stream.RemoteAddress, status, reason);
        return AutoNatMessage.Response(status, reason);
    }

    private static Multiaddr? TryParse(byte[] bytes)
    {
        try
        {
            return Multiaddr.FromBytes(bytes);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }
}
