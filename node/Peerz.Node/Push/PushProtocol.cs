using Microsoft.Extensions.Logging;
using Peerz.Node.Protocols;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Push;

/// <summary>
/// /peerz/push/1.0.0: another provider forwards its step outputs into sessions here. Each <see cref="PushStep"/>
/// is answered by a <see cref="PushAck"/>: accepted into the session's inbox, or refused (<c>NOT_FOUND</c> for an
/// unknown session, <c>PERMISSION_DENIED</c> when the sender is not the hop the session's client named,
/// <c>BAD_REQUEST</c> for a computed or repeated step, <c>LIMIT_EXCEEDED</c> past the buffered steps). A push never
/// makes the provider compute: it only waits for the step the client pays for.
/// </summary>
public sealed class PushProtocol(PushSessions sessions, ILogger<PushProtocol> logger)
{
    public async Task HandleAsync(Stream stream, string remotePeer, CancellationToken cancellationToken)
    {
        var options = sessions.Options;
        while (true)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(options.StreamIdleTimeout);
            PushStep? push;
            try
            {
                push = await DelimitedMessages.ReadAsync(stream, PushStep.Parser, options.MaxMessageBytes, idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return;
            }
            if (push is null) return;
            var ack = new PushAck { Step = push.Step };
            try
            {
                if (push.Hidden is null) throw new RequestRejectedException(ErrorCode.BadRequest, "a push carries hidden states");
                sessions.Offer(remotePeer, push);
            }
            catch (RequestRejectedException e)
            {
                logger.LogInformation("push from {Peer} for session {Session} step {Step} refused: {Code} {Message}", remotePeer, push.SessionId, push.Step, e.Code, e.Message);
                ack.Error = e.ToWire();
            }
            await DelimitedMessages.WriteAsync(stream, ack, cancellationToken);
        }
    }
}
