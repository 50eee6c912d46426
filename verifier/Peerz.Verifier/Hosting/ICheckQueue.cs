using System.Threading.Channels;
using Peerz.Protocol.Payments;

namespace Peerz.Verifier.Hosting;

/// <summary>Sampled sessions waiting for their check, as the checking and release loops see them (<see cref="Sampling.ReceiptIntake"/>).</summary>
public interface ICheckQueue
{
    /// <summary>Receipts due for their check, in the order they were released.</summary>
    ChannelReader<SignedReceipt> Queue { get; }

    /// <summary>Moves the sessions now due to <see cref="Queue"/>; returns how many.</summary>
    int ReleaseDue();

    /// <summary>After a receipt taken off the queue was checked: its session is done up to that step.</summary>
    Task DequeuedAsync(SignedReceipt receipt, CancellationToken cancellationToken);
}
