using Microsoft.Extensions.Logging;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Push;

/// <summary>
/// A session's stream to the next hop of its route: every answered step's output is written to it as a
/// <see cref="PushStep"/>. The stream is opened as soon as the link is made, so the first step does not wait for
/// the dial. A link that fails to open, fails to write or gets a push refused stops pushing: from then on the
/// session's outputs say <c>pushed = false</c> and the client relays them itself.
/// </summary>
public sealed class PushLink : IAsyncDisposable
{
    private readonly PushHop _next;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<Stream?> _stream;
    private Task? _acks;
    private volatile bool _failed;

    internal PushLink(PushHop next, IPushDialer dialer, PushOptions options, ILogger logger)
    {
        _next = next;
        _logger = logger;
        _stream = OpenAsync(dialer, options);
    }

    public string PeerId => _next.PeerId;

    public string SessionId => _next.SessionId;

    private async Task<Stream?> OpenAsync(IPushDialer dialer, PushOptions options)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            var stream = await dialer.OpenAsync(_next.PeerId, [.. _next.Addresses.Take(options.MaxAddresses)], timeout.Token);
            _acks = ReadAcksAsync(stream, options.MaxMessageBytes);
            return stream;
        }
        catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            _logger.LogInformation(e, "push link to {Peer} could not be opened: {Error}", _next.PeerId, e.Message);
            _failed = true;
            return null;
        }
    }

    /// <summary>Whether the next output will be pushed: the stream is open (waiting for the dial) and nothing failed.</summary>
    public async Task<bool> ReadyAsync() => await _stream is not null && !_failed;

    /// <summary>Writes one step's output to the next hop; a failure only stops the link.</summary>
    public async Task SendAsync(ulong step, uint position, SerializedTensor hidden, CancellationToken cancellationToken)
    {
        if (_failed || await _stream is not { } stream) return;
        try
        {
            await DelimitedMessages.WriteAsync(stream, new PushStep { SessionId = _next.SessionId, Step = step, Position = position, Hidden = hidden }, cancellationToken);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogInformation("push to {Peer} failed at step {Step}: {Error}", _next.PeerId, step, e.Message);
            _failed = true;
        }
    }

    private async Task ReadAcksAsync(Stream stream, int maxMessageBytes)
    {
        try
        {
            while (await DelimitedMessages.ReadAsync(stream, PushAck.Parser, maxMessageBytes, _stop.Token) is { } ack)
            {
                if (ack.Error is null) continue;
                _logger.LogWarning("{Peer} refused the push of step {Step}: {Code} {Message}", _next.PeerId, ack.Step, ack.Error.Code, ack.Error.Message);
                _failed = true;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or ProtocolViolationException)
        {
            // The stream closed; SendAsync notices on its next write.
        }
        _failed = true;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (await _stream is { } stream) await stream.DisposeAsync();
        if (_acks is not null) await _acks;
        _stop.Dispose();
    }
}
