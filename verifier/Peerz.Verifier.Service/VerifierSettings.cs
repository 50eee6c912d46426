using Peerz.Hosting.Chain;
using Peerz.P2P;

namespace Peerz.Verifier.Service;

/// <summary>Everything peerz-verifier was told, after flags, environment and config file are merged.</summary>
public sealed record VerifierSettings
{
    public required string ModelDirectory { get; init; }
    public required string ModelId { get; init; }
    public required IReadOnlyList<Multiaddr> Bootstrap { get; init; }
    public required ChainSettings Chain { get; init; }
    public required string Keystore { get; init; }
    public string? PasswordFile { get; init; }
    public required string LedgerPath { get; init; }
    /// <summary>Where the probes' client ledgers go (one per probe key).</summary>
    public required string ProbeDirectory { get; init; }
    /// <summary>Probes paid from one key before a fresh one is funded.</summary>
    public required int ProbesPerKey { get; init; }
    /// <summary>p: the probability that a single-step session is checked.</summary>
    public required double SampleRate { get; init; }
    /// <summary>f: the cheat rate the session sampling is designed for (q(m) = min(1, p·(1 + f·m))).</summary>
    public required double DesignCheatRate { get; init; }
    /// <summary>How long a sampled session must go without a newer step before its latest receipt is checked.</summary>
    public required TimeSpan SessionQuiet { get; init; }
    public required TimeSpan ProbeInterval { get; init; }
    public required string HttpUrl { get; init; }
    /// <summary>Failed fetches, spread over time, before an unavailable payload is challenged on chain.</summary>
    public required Sampling.UnavailabilityPolicy Unavailability { get; init; }
    /// <summary>Refused reports each reporter (remote address) may send per minute (and at once) before it is turned away.</summary>
    public required int ReportsPerMinute { get; init; }
    /// <summary>Largest batch × positions the verifier recomputes (bounds memory and time per check).</summary>
    public required long MaxRecomputeTokens { get; init; }
    /// <summary>Where verification work is reported for rewards (peerz-settle), or null.</summary>
    public Uri? SettlementUrl { get; init; }
}
