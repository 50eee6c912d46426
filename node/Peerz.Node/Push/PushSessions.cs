using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Peerz.Node.Protocols;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Push;

/// <summary>
/// A provider's part in server-to-server push: the inbox of every open inference session (so the push protocol
/// finds it by session id) and the links to next hops. One per node, shared by the spans it serves over time.
/// </summary>
public sealed class PushSessions(PushOptions options, IPushDialer dialer, ILoggerFactory loggerFactory)
{
    private readonly ConcurrentDictionary<string, PushInbox> _inboxes = new();
    private readonly ILogger _logger = loggerFactory.CreateLogger<PushLink>();
    private long _accepted;

    public PushOptions Options => options;

    /// <summary>Pushes accepted into sessions so far (for metrics and tests).</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Makes a session reachable for pushes from <paramref name="previousPeer"/> (none yet when null).</summary>
    public PushInbox Register(string sessionId, string? previousPeer)
    {
        var inbox = new PushInbox(previousPeer, options.MaxBufferedSteps);
        _inboxes[sessionId] = inbox;
        return inbox;
    }

    public void Unregister(string sessionId) => _inboxes.TryRemove(sessionId, out _);

    /// <summary>Hands a push from <paramref name="fromPeer"/> to its session, or throws the refusal (<c>NOT_FOUND</c> for an unknown session).</summary>
    public void Offer(string fromPeer, PushStep push)
    {
        if (!_inboxes.TryGetValue(push.SessionId, out var inbox))
            throw new RequestRejectedException(ErrorCode.NotFound, $"no open session {push.SessionId} here");
        inbox.Offer(fromPeer, push);
        Interlocked.Increment(ref _accepted);
    }

    /// <summary>Checks a client's next hop before anything is charged or changed; <c>BAD_REQUEST</c> when it cannot be a hop.</summary>
    public static PushHop Validate(PushHop next)
    {
        if (string.IsNullOrEmpty(next.PeerId) || next.PeerId.Length > 128)
            throw new RequestRejectedException(ErrorCode.BadRequest, "the next hop names no peer id");
        if (next.SessionId.Length != 64 || !next.SessionId.All(Uri.IsHexDigit))
            throw new RequestRejectedException(ErrorCode.BadRequest, "the next hop's session id is not 32 bytes of hex");
        if (next.Addresses.Any(a => a.Length > 1024))
            throw new RequestRejectedException(ErrorCode.BadRequest, "a next-hop address is too long");
        return next;
    }

    /// <summary>Starts forwarding to <paramref name="next"/> (validated); the stream is opened in the background.</summary>
    public PushLink Link(PushHop next) => new(next, dialer, options, _logger);
}
