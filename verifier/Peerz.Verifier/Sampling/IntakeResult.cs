namespace Peerz.Verifier.Sampling;

/// <summary>What intake did with a report.</summary>
public enum IntakeStatus
{
    /// <summary>Its session is sampled; kept as the session's latest receipt, checked once the session is quiet.</summary>
    Queued,
    /// <summary>Valid, and its session is not sampled at this length (the draw is fixed per session).</summary>
    NotSampled,
    /// <summary>Already pending or judged, or covered by a later step of its session pending or checked; nothing changes.</summary>
    Duplicate,
    /// <summary>Not evidence, or not checkable (bad signature, another model, past the retention window).</summary>
    Refused,
    /// <summary>The reporter sent more than its share.</summary>
    RateLimited,
    /// <summary>As many sessions as the verifier holds are pending; pending ones are never dropped for new ones.</summary>
    QueueFull,
}

public sealed record IntakeResult(IntakeStatus Status, string Detail);
