using System.Threading.Channels;
using Peerz.Protocol.Payments;
using Peerz.Verifier.Hosting;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// The sampled sessions of <see cref="PendingSessions"/> on their way to a check: released to <see cref="Queue"/> once due,
/// marked checked after their check.
/// </summary>
public sealed class SessionCheckQueue(PendingSessions pending) : ICheckQueue
{
    // Every queued receipt is a pending session, so the queue never holds more than the pending sessions' capacity.
    private readonly Channel<SignedReceipt> _queue = Channel.CreateUnbounded<SignedReceipt>();

    public ChannelReader<SignedReceipt> Queue => _queue.Reader;

    public int ReleaseDue()
    {
        var due = pending.TakeDue();
        foreach (var receipt in due) _queue.Writer.TryWrite(receipt);
        return due.Count;
    }

    public Task DequeuedAsync(SignedReceipt receipt, CancellationToken cancellationToken) => pending.CheckedAsync(receipt, cancellationToken);
}
