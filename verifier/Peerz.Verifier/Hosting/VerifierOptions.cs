using Peerz.Hosting.Chain;
using Peerz.P2P;
using Peerz.Verifier.Sampling;

namespace Peerz.Verifier.Hosting;

/// <summary>
/// Everything peerz-verifier was told, after flags, environment and config file are merged; checked at start-up by
/// <see cref="VerifierOptionsValidator"/>, whose messages name the flag to fix.
/// </summary>
public sealed class VerifierOptions
{
    public string ModelDirectory { get; set; } = "";
    public string ModelId { get; set; } = "";
    public IReadOnlyList<Multiaddr> Bootstrap { get; set; } = [];
    /// <summary>Null when --rpc-url or --deployment is missing (refused by the validator: fraud is slashed on chain).</summary>
    public ChainSettings? Chain { get; set; }
    public string Keystore { get; set; } = "";
    public string? PasswordFile { get; set; }
    public string LedgerPath { get; set; } = "";
    /// <summary>Where the probes' client ledgers go (one per probe key).</summary>
    public string ProbeDirectory { get; set; } = "";
    /// <summary>Probes paid from one key before a fresh one is funded.</summary>
    public int ProbesPerKey { get; set; } = 20;
    /// <summary>p: the probability that a single-step session is checked.</summary>
    public double SampleRate { get; set; } = 0.05;
    /// <summary>f: the cheat rate the session sampling is designed for (q(m) = min(1, p·(1 + f·m))).</summary>
    public double DesignCheatRate { get; set; } = 0.01;
    /// <summary>How long a sampled session must go without a newer step before its latest receipt is checked.</summary>
    public TimeSpan SessionQuiet { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Zero: never probe.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(60);
    public string HttpUrl { get; set; } = "http://127.0.0.1:8470";
    /// <summary>Failed fetches, spread over time, before an unavailable payload is challenged on chain.</summary>
    public UnavailabilityPolicy Unavailability { get; set; } = UnavailabilityPolicy.Default;
    /// <summary>Refused reports each reporter (remote address) may send per minute (and at once) before it is turned away.</summary>
    public int ReportsPerMinute { get; set; } = 60;
    /// <summary>Largest batch × positions the verifier recomputes (bounds memory and time per check).</summary>
    public long MaxRecomputeTokens { get; set; } = 16384;
    /// <summary>Where verification work is reported for rewards (peerz-settle), or null.</summary>
    public Uri? SettlementUrl { get; set; }
}
