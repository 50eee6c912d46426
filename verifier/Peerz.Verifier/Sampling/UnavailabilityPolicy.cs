namespace Peerz.Verifier.Sampling;

/// <summary>
/// When a payload that cannot be fetched becomes an Unavailable challenge: after <paramref name="Failures"/> failed
/// fetches from the registered peer, each at least <paramref name="Spacing"/> after the last counted one (a provider
/// restarting or briefly offline is not challenged). Failed receipts are asked for again every Spacing for
/// <paramref name="RetryFor"/> (so a challenge can be withdrawn when the payload turns up during its challenge period).
/// </summary>
public sealed record UnavailabilityPolicy(int Failures, TimeSpan Spacing, TimeSpan RetryFor)
{
    public static readonly UnavailabilityPolicy Default = new(3, TimeSpan.FromMinutes(10), TimeSpan.FromDays(1));
}
