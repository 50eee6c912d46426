namespace Peerz.P2P.Relay;

/// <summary>How many reservations <see cref="AutoRelay"/> keeps, and how it paces its attempts.</summary>
public sealed class AutoRelayOptions
{
    /// <summary>Reservations kept while the host is private.</summary>
    public int Reservations { get; set; } = 2;

    /// <summary>How often candidates are looked at again without a change (a lost reservation or reachability change wakes it at once).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Candidates tried per round; the rest wait for the next one.</summary>
    public int MaxCandidatesPerRound { get; set; } = 16;

    /// <summary>Bound on identifying one candidate.</summary>
    public TimeSpan IdentifyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A candidate that failed waits this long before the next attempt, doubled per failure up to <see cref="MaxRetryBackoff"/>.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Candidates whose failures are remembered; the one due soonest is forgotten first.</summary>
    public int MaxTrackedFailures { get; set; } = 256;
}
