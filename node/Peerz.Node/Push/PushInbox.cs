using Peerz.Node.Protocols;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Push;

/// <summary>
/// The pushed inputs one session holds: only from the peer its client named as the previous hop, only for steps it
/// has not computed yet, at most <see cref="PushOptions.MaxBufferedSteps"/> at a time. Pushes are keyed by their
/// first position, which identifies a step on every hop of a route (step numbers differ once a hop was replaced and
/// replayed). Every later step starts after the last computed step's first position (a speculative rollback keeps at
/// least one position of it), so a push at or before that position is stale. A pushed input is only ever used by a
/// step the client paid for; whatever is left at the end is dropped.
/// </summary>
public sealed class PushInbox(string? previousPeer, int maxBufferedSteps)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, PushStep> _buffered = [];
    private string? _previousPeer = previousPeer;
    private long _lastStart = -1;
    private (uint Position, TaskCompletionSource<PushStep> Arrived)? _awaited;

    /// <summary>Takes a push from <paramref name="fromPeer"/>, or throws the refusal to answer it with.</summary>
    public void Offer(string fromPeer, PushStep push)
    {
        lock (_lock)
        {
            if (_previousPeer is null || fromPeer != _previousPeer)
                throw new RequestRejectedException(ErrorCode.PermissionDenied, $"{fromPeer} is not this session's previous hop");
            if (push.Position <= _lastStart)
                throw new RequestRejectedException(ErrorCode.BadRequest, $"position {push.Position} was already computed; the last step started at position {_lastStart}");
            if (_awaited is { } awaited && awaited.Position == push.Position)
            {
                _awaited = null;
                // A wait that was just given up (the client's relay came first) leaves the push buffered instead.
                if (awaited.Arrived.TrySetResult(push)) return;
            }
            if (_buffered.ContainsKey(push.Position))
                throw new RequestRejectedException(ErrorCode.BadRequest, $"position {push.Position} was already pushed");
            if (_buffered.Count >= maxBufferedSteps)
                throw new RequestRejectedException(ErrorCode.LimitExceeded, $"{maxBufferedSteps} pushed steps are already waiting for the client's steps");
            _buffered.Add(push.Position, push);
        }
    }

    /// <summary>The pushed input of the step at <paramref name="position"/>, as soon as it is here (the caller bounds the wait).</summary>
    public async Task<PushStep> TakeAsync(uint position, CancellationToken cancellationToken)
    {
        TaskCompletionSource<PushStep> arrived;
        lock (_lock)
        {
            if (_buffered.Remove(position, out var buffered)) return buffered;
            arrived = new TaskCompletionSource<PushStep>(TaskCreationOptions.RunContinuationsAsynchronously);
            _awaited = (position, arrived);
        }
        using (cancellationToken.Register(() => arrived.TrySetCanceled(cancellationToken)))
        {
            try
            {
                return await arrived.Task;
            }
            finally
            {
                lock (_lock)
                {
                    if (_awaited is { } awaited && awaited.Arrived == arrived) _awaited = null;
                }
            }
        }
    }

    /// <summary>The session answered a step starting at <paramref name="start"/>: pushes at or before it are stale.</summary>
    public void Completed(uint start)
    {
        lock (_lock)
        {
            _lastStart = start;
            foreach (var stale in _buffered.Keys.Where(p => p <= start).ToList()) _buffered.Remove(stale);
        }
    }

    /// <summary>From now on, only <paramref name="peer"/> may push into this session.</summary>
    public void AcceptFrom(string peer)
    {
        lock (_lock)
        {
            _previousPeer = peer;
            _buffered.Clear();
        }
    }
}
