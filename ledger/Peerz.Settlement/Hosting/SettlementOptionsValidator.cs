using Microsoft.Extensions.Options;

namespace Peerz.Settlement.Hosting;

/// <summary>Refuses settings peerz-settle cannot run with, naming the flag to fix (all failures in one line).</summary>
public sealed class SettlementOptionsValidator : IValidateOptions<SettlementOptions>
{
    public ValidateOptionsResult Validate(string? name, SettlementOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory)) failures.Add("--data-dir must name a directory");
        if (options.Listen.Scheme != Uri.UriSchemeHttp && options.Listen.Scheme != Uri.UriSchemeHttps)
            failures.Add("--listen must be an http URL such as http://127.0.0.1:8547");
        if (options.UptimeInterval <= TimeSpan.Zero) failures.Add("--uptime-interval must be positive");
        if (options.PollInterval <= TimeSpan.Zero) failures.Add("--poll-interval must be positive");
        if (options.MaxRequestBytes <= 0) failures.Add("--max-request-bytes must be positive");
        if (options.Models.Count == 0) failures.Add("give at least one --model NAME=LAYERS: settlement rewards only work on models it knows");
        // Shorter than an epoch is checked once the chain says how long an epoch is (SettlementHostedService).
        if (options.CloseDelay < TimeSpan.Zero) failures.Add("--close-delay cannot be negative");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
