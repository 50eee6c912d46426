namespace Peerz.Hosting.Metrics;

/// <summary>Results of spot checks: one count per checked receipt, labelled by outcome.</summary>
public sealed class VerificationMetrics(MetricsRegistry registry)
{
    /// <summary>The outcomes a verifier reports; other values are refused so the label set stays small.</summary>
    public static readonly IReadOnlySet<string> Results = new HashSet<string> { "ok", "mismatch", "missing_payload", "bad_signature", "error" };

    private readonly Counter _verifications = registry.Counter("peerz_verifications_total", "Receipts spot-checked, by result (ok, mismatch, missing_payload, bad_signature, error)", "result");

    public void Record(string result)
    {
        if (!Results.Contains(result)) throw new ArgumentException($"unknown verification result '{result}' (use one of {string.Join(", ", Results)})", nameof(result));
        _verifications.WithLabels(result).Inc();
    }
}
