namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// The system clock moved by <see cref="Offset"/> (lets a test age receipts or space failed fetches without waiting),
/// or stopped at one instant once <see cref="Stop"/> is called (so a rate limit refills nothing during a test).
/// </summary>
public sealed class ShiftedTime : TimeProvider
{
    private DateTimeOffset? _stopped;

    public TimeSpan Offset { get; set; }

    public void Stop() => _stopped = GetUtcNow();

    public override DateTimeOffset GetUtcNow() => _stopped ?? base.GetUtcNow() + Offset;
}
