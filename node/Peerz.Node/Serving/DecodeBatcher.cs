using System.Diagnostics;
using Peerz.Model.Blocks;
using Peerz.Node.Protocols;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Node.Serving;

/// <summary>
/// Collects decode steps (one position of a batch-1 session) of concurrent sessions and runs them as one forward pass
/// through <see cref="BatchedDecode"/>: one matrix product over N rows costs far less than N matrix-vector products, so
/// throughput summed over sessions grows with the batch. The first step queued while no batch is forming waits
/// <see cref="BatchingOptions.Window"/> for others, or less: the window closes as soon as every session that decoded
/// within the last second (and is still open) has a step queued, so a lone session does not pay it on each token.
/// Steps that queue up while a batch computes form the next batch at once. Fairness: first in, first out, each session
/// at most once per batch (its steps are ordered anyway), up to <see cref="BatchingOptions.MaxBatch"/>; the queue is
/// bounded by <see cref="BatchingOptions.MaxQueued"/> and a step beyond it is refused with BUSY before it touches the session.
/// </summary>
public sealed class DecodeBatcher(BatchingOptions options, Func<Action, Task> runOnLane)
{
    /// <summary>Sessions that decoded this recently are expected to bring another step soon.</summary>
    private static readonly TimeSpan RecentFor = TimeSpan.FromSeconds(1);

    private readonly LinkedList<Pending> _queue = [];
    private readonly Dictionary<InferenceSession, long> _lastStep = [];
    private TaskCompletionSource _allQueued = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _draining;
    private long _batches;
    private long _batchedSteps;

    public BatchingOptions Options { get; } = options;

    /// <summary>Steps waiting for a batch.</summary>
    public int Queued
    {
        get
        {
            lock (_queue) return _queue.Count;
        }
    }

    /// <summary>Forward passes that carried steps of two or more sessions.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Steps computed in those passes.</summary>
    public long BatchedSteps => Interlocked.Read(ref _batchedSteps);

    /// <summary>
    /// Rolls <paramref name="session"/> back to <paramref name="position"/>, runs <paramref name="hidden"/> ([1, 1, hidden])
    /// through it within a batch, and returns <paramref name="encode"/> of its output (called on the compute lane, inside
    /// its dispose scope, so it must return plain data). Cancellation only withdraws a step still queued: once taken into
    /// a batch, the step completes, so the session and <paramref name="hidden"/> are never used after this returns.
    /// </summary>
    public async Task<T> StepAsync<T>(InferenceSession session, Tensor hidden, int position, Func<Tensor, T> encode, CancellationToken cancellationToken)
    {
        var pending = new Pending<T>(session, hidden, position, encode);
        LinkedListNode<Pending> node;
        bool start, waitForOthers;
        lock (_queue)
        {
            if (_queue.Count >= Options.MaxQueued)
                throw new RequestRejectedException(ErrorCode.Busy, $"{_queue.Count} decode steps are already waiting for a batch, the most this provider queues; retry shortly");
            node = _queue.AddLast(pending);
            _lastStep[session] = Stopwatch.GetTimestamp();
            start = !_draining;
            if (start)
            {
                _draining = true;
                _allQueued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            if (AllRecentQueued()) _allQueued.TrySetResult();
            waitForOthers = !_allQueued.Task.IsCompleted;
        }
        if (start && waitForOthers)
        {
            _ = Task.Run(() => DrainAsync(waitForOthers: true), CancellationToken.None);
        }
        else if (start)
        {
            // Nobody else to wait for (e.g. a lone session): this caller runs the batch itself, sparing two thread hops.
            if (await RunNextBatchAsync()) _ = Task.Run(() => DrainAsync(waitForOthers: false), CancellationToken.None);
        }
        await using (cancellationToken.Register(() => Withdraw(node)))
            return await pending.Completion.Task;
    }

    private void Withdraw(LinkedListNode<Pending> node)
    {
        lock (_queue)
        {
            if (node.List is null) return;
            _queue.Remove(node);
        }
        node.Value.Cancel();
    }

    /// <summary>True when no session that decoded recently is missing from the queue (or a full batch waits). Under the lock.</summary>
    private bool AllRecentQueued()
    {
        foreach (var (session, last) in _lastStep)
        {
            if (session.IsDisposed || Stopwatch.GetElapsedTime(last) > RecentFor) _lastStep.Remove(session);
        }
        return _queue.Count >= Math.Min(_lastStep.Count, Options.MaxBatch);
    }

    private async Task DrainAsync(bool waitForOthers)
    {
        if (waitForOthers)
        {
            Task allQueued;
            lock (_queue) allQueued = _allQueued.Task;
            await Task.WhenAny(Task.Delay(Options.Window), allQueued);
        }
        while (await RunNextBatchAsync())
        {
        }
    }

    /// <summary>Runs the next batch; false (and draining over) when the queue is empty.</summary>
    private async Task<bool> RunNextBatchAsync()
    {
        List<Pending> batch;
        lock (_queue)
        {
            batch = Take();
            if (batch.Count == 0)
            {
                _draining = false;
                return false;
            }
        }
        try
        {
            await runOnLane(() => Run(batch));
        }
        catch (Exception e)
        {
            // The lane refused the whole batch (e.g. the span was retired); steps already answered stay answered.
            foreach (var pending in batch) pending.Fail(e);
        }
        return true;
    }

    /// <summary>Oldest first, each session once, all on the same blocks as the oldest step.</summary>
    private List<Pending> Take()
    {
        var batch = new List<Pending>();
        var node = _queue.First;
        while (node is not null && batch.Count < Options.MaxBatch)
        {
            var next = node.Next;
            var candidate = node.Value;
            if (batch.Count == 0 || (batch.TrueForAll(p => p.Session != candidate.Session) && BatchedDecode.CanShare(batch[0].Session, candidate.Session)))
            {
                batch.Add(candidate);
                _queue.Remove(node);
            }
            node = next;
        }
        return batch;
    }

    private void Run(List<Pending> batch)
    {
        var ready = new List<Pending>(batch.Count);
        foreach (var pending in batch)
        {
            try
            {
                pending.Session.Rollback(pending.Position);
                ready.Add(pending);
            }
            catch (Exception e)
            {
                pending.Fail(e);
            }
        }
        if (ready.Count == 0) return;
        Tensor[] outputs;
        if (ready.Count == 1)
        {
            // A lone step runs exactly as an unbatched one would.
            outputs = [ready[0].Session.Step(ready[0].Hidden)];
        }
        else
        {
            outputs = BatchedDecode.Step(ready.ConvertAll(p => p.Session), ready.ConvertAll(p => p.Hidden));
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _batchedSteps, ready.Count);
        }
        for (var i = 0; i < ready.Count; i++) ready[i].Complete(outputs[i]);
    }

    private abstract class Pending(InferenceSession session, Tensor hidden, int position)
    {
        public InferenceSession Session { get; } = session;

        public Tensor Hidden { get; } = hidden;

        public int Position { get; } = position;

        public abstract void Complete(Tensor output);

        public abstract void Fail(Exception error);

        public abstract void Cancel();
    }

    private sealed class Pending<T>(InferenceSession session, Tensor hidden, int position, Func<Tensor, T> encode) : Pending(session, hidden, position)
    {
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Complete(Tensor output)
        {
            try
            {
                Completion.TrySetResult(encode(output));
            }
            catch (Exception e)
            {
                Completion.TrySetException(e);
            }
        }

        public override void Fail(Exception error) => Completion.TrySetException(error);

        public override void Cancel() => Completion.TrySetCanceled();
    }
}
