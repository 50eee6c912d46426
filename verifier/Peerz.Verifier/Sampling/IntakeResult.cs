namespace Peerz.Verifier.Sampling;

/// <summary>What intake did with a report.</summary>
public enum IntakeStatus
{
    /// <summary>Sampled and queued for checking.</summary>
    Queued,
    /// <summary>Valid, and not sampled (the decision is fixed for this receipt).</summary>
    NotSampled,
    /// <summary>Already queued or judged; nothing changes.</summary>
    Duplicate,
    /// <summary>Not evidence, or not checkable (bad signature, another model, past the retention window).</summary>
    Refused,
    /// <summary>The reporter sent more than its share.</summary>
    RateLimited,
    /// <summary>The queue is full; valid queued receipts are never dropped for new ones.</summary>
    QueueFull,
}

public sealed record IntakeResult(IntakeStatus Status, string Detail);
