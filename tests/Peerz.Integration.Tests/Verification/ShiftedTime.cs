namespace Peerz.Integration.Tests.Verification;

/// <summary>The system clock moved by <see cref="Offset"/>: lets a test age receipts or space failed fetches without waiting.</summary>
public sealed class ShiftedTime : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
