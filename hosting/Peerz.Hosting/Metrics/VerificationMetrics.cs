using System.Diagnostics.Metrics;

namespace Peerz.Hosting.Metrics;

/// <summary>Results of spot checks: one count per checked receipt, labelled by outcome.</summary>
public sealed class VerificationMetrics
{
    /// <summary>The outcomes a verifier reports; other values are refused so the label set stays small.</summary>
    public static readonly IReadOnlySet<string> Results = new HashSet<string> { "ok", "mismatch", "missing_payload", "bad_signature", "not_checkable", "error" };

    private readonly Counter<long> _verifications;

    public VerificationMetrics(PeerzMeters meters)
    {
        _verifications = meters.Create("Verification").CreateCounter<long>("peerz_verifications_total",
            description: "Receipts spot-checked, by result (ok, mismatch, missing_payload, bad_signature, not_checkable, error)");
        // Every result listed at zero from the first scrape, so a rate over it is defined before the first check.
        foreach (var result in Results) _verifications.Add(0, new KeyValuePair<string, object?>("result", result));
    }

    public void Record(string result)
    {
        if (!Results.Contains(result)) throw new ArgumentException($"unknown verification result '{result}' (use one of {string.Join(", ", Results)})", nameof(result));
        _verifications.Add(1, new KeyValuePair<string, object?>("result", result));
    }
}
