using Peerz.Node.Protocols;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Push;

/// <summary>
/// The pushed inputs one session holds: only from the peer its client named as the previous hop, only for steps
/// it has not computed yet, at most <see cref="PushOptions.MaxBufferedSteps"/> ahead. A pushed input is only ever
/// used by a step the client paid for; whatever is left when the session ends is dropped.
/// </summary>
public sealed class PushInbox(string? previousPeer, int maxBufferedSteps)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, PushStep> _buffered = [];
    private string? _previousPeer = previousPeer;
    private ulong _nextStep;
    private (ulong Step, TaskCompletionSource<PushStep> Arrived)? _awaited;

    /// <summary>Takes a push from <paramref name="fromPeer"/>, or throws the refusal to answer it with.</summary>
    public void Offer(string fromPeer, PushStep push)
    {
        lock (_lock)
        {
            if (_previousPeer is null || fromPeer != _previousPeer)
                throw new RequestRejectedException(ErrorCode.PermissionDenied, $"{fromPeer} is not this session's previous hop");
            if (push.Step < _nextStep)
                throw new RequestRejectedException(ErrorCode.BadRequest, $"step {push.Step} was already computed; the session is at step {_nextStep}");
            if (push.Step >= _nextStep + (ulong)maxBufferedSteps)
                throw new RequestRejectedException(ErrorCode.LimitExceeded, $"step {push.Step} is more than {maxBufferedSteps} steps ahead of step {_nextStep}");
            if (_awaited is { } awaited && awaited.Step == push.Step)
            {
                _awaited = null;
                // A wait that was just given up (the client's relay came first) leaves the push buffered instead.
                if (awaited.Arrived.TrySetResult(push)) return;
            }
            if (!_buffered.TryAdd(push.Step, push))
                throw new RequestRejectedException(ErrorCode.BadRequest, $"step {push.Step} was already pushed");
        }
    }

    /// <summary>The pushed input of <paramref name="step"/>, as soon as it is here (the caller bounds the wait).</summary>
    public async Task<PushStep> TakeAsync(ulong step, CancellationToken cancellationToken)
    {
        TaskCompletionSource<PushStep> arrived;
        lock (_lock)
        {
            if (_buffered.Remove(step, out var buffered)) return buffered;
            arrived = new TaskCompletionSource<PushStep>(TaskCreationOptions.RunContinuationsAsynchronously);
            _awaited = (step, arrived);
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

    /// <summary>Step <paramref name="computed"/> is answered: pushes for it and earlier are stale from now on.</summary>
    public void Completed(ulong computed)
    {
        lock (_lock)
        {
            _nextStep = computed + 1;
            foreach (var stale in _buffered.Keys.Where(s => s <= computed).ToList()) _buffered.Remove(stale);
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
