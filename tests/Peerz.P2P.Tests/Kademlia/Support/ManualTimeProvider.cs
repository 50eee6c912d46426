namespace Peerz.P2P.Tests.Kademlia.Support;

/// <summary>A clock tests move by hand, to check expiry without waiting.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
