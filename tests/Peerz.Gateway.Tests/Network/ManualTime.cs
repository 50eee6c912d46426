namespace Peerz.Gateway.Tests.Network;

/// <summary>A clock the test moves by hand (timers still run on real time).</summary>
public sealed class ManualTime : TimeProvider
{
    private long _ticks = DateTimeOffset.UnixEpoch.AddYears(56).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
