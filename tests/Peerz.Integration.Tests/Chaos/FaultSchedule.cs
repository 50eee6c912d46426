namespace Peerz.Integration.Tests.Chaos;

/// <summary>One planned fault: at <see cref="At"/> after the load started, stop role number <see cref="Target"/> and restart it after <see cref="Downtime"/>.</summary>
public sealed record Fault(TimeSpan At, int Target, bool Kill, TimeSpan Downtime)
{
    public string Describe(IReadOnlyList<ChaosRole> roles) =>
        $"{At.TotalSeconds,5:F0} s  {(Kill ? "SIGKILL" : "SIGTERM")} {roles[Target].Name}, restart after {Downtime.TotalSeconds:F0} s";
}

/// <summary>
/// A random fault schedule that is a function of its seed alone (printed by the test, so a failure can be replayed with
/// PEERZ_CHAOS_SEED): a fault every 10–20 s from 15 s into the load until <c>duration</c>, one at a time (the next
/// waits until the last target is back), each a SIGKILL (two in three) or a SIGTERM with 2–6 s of downtime.
/// Faults follow each other, so at most one process is down and every span keeps a provider.
/// </summary>
public static class FaultSchedule
{
    public static IReadOnlyList<Fault> Create(int seed, int targets, TimeSpan duration)
    {
        var random = new Random(seed);
        var faults = new List<Fault>();
        for (var at = TimeSpan.FromSeconds(15); at < duration && faults.Count < 1000; at += TimeSpan.FromSeconds(10 + random.Next(11)))
            faults.Add(new Fault(at, random.Next(targets), random.Next(3) < 2, TimeSpan.FromSeconds(2 + random.Next(5))));
        return faults;
    }
}
