using Microsoft.Extensions.Options;

namespace Peerz.Verifier.Hosting;

/// <summary>Refuses settings the verifier cannot run with, naming the flag to fix (all failures in one line).</summary>
public sealed class VerifierOptionsValidator : IValidateOptions<VerifierOptions>
{
    /// <summary>A quiet period past the shortest retention windows would leave sessions' payloads deleted before their check.</summary>
    public static readonly TimeSpan MaxSessionQuiet = TimeSpan.FromSeconds(600);

    public ValidateOptionsResult Validate(string? name, VerifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SampleRate is < 0 or > 1) failures.Add("--sample-rate must be between 0 and 1");
        if (options.DesignCheatRate is < 0 or > 1) failures.Add("--design-cheat-rate must be between 0 and 1");
        if (options.SessionQuiet < TimeSpan.Zero || options.SessionQuiet > MaxSessionQuiet) failures.Add("--session-quiet-seconds must be between 0 and 600");
        if (options.Unavailability.Failures < 1) failures.Add("--unavailable-failures must be at least 1");
        if (options.Unavailability.Spacing < TimeSpan.Zero) failures.Add("--unavailable-spacing-seconds must not be negative");
        if (options.ReportsPerMinute < 1) failures.Add("--reports-per-minute must be at least 1");
        if (options.MaxRecomputeTokens < 1) failures.Add("--max-recompute-tokens must be at least 1");
        if (options.ProbesPerKey < 1) failures.Add("--probes-per-key must be at least 1");
        if (options.Bootstrap.Count == 0) failures.Add("--bootstrap is required: the verifier finds providers through the swarm");
        if (options.Chain is null) failures.Add("--rpc-url and --deployment are required: fraud is slashed on chain");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
