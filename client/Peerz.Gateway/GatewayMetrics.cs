using System.Diagnostics.Metrics;
using System.Globalization;
using Peerz.Hosting.Metrics;

namespace Peerz.Gateway;

/// <summary>The gateway's own metrics: requests by endpoint and HTTP status, tokens in and out by endpoint and model (the base model or one of its adapters), request latency.</summary>
public sealed class GatewayMetrics
{
    private readonly Counter<long> _requests;
    private readonly Counter<long> _generated;
    private readonly Counter<long> _prompt;
    private readonly Histogram<double> _duration;

    public GatewayMetrics(PeerzMeters meters)
    {
        var meter = meters.Create("Gateway");
        _requests = meter.CreateCounter<long>("peerz_gateway_requests_total", description: "Completion requests answered, by endpoint (completions, chat_completions) and HTTP status");
        _generated = meter.CreateCounter<long>("peerz_gateway_tokens_generated_total", description: "Completion tokens generated through the swarm, by endpoint and model");
        _prompt = meter.CreateCounter<long>("peerz_gateway_prompt_tokens_total", description: "Prompt tokens sent through the swarm, by endpoint and model");
        _duration = meter.CreateSecondsHistogram("peerz_gateway_request_duration_seconds", "Time from request to the last byte of the answer (streamed or not)");
    }

    public void Answered(string endpoint, int status, TimeSpan elapsed)
    {
        var byEndpoint = new KeyValuePair<string, object?>("endpoint", endpoint);
        _requests.Add(1, byEndpoint, new KeyValuePair<string, object?>("status", status.ToString(CultureInfo.InvariantCulture)));
        _duration.Record(elapsed.TotalSeconds, byEndpoint);
    }

    /// <param name="model">The model id answered (one per engine the gateway serves, so the label's values are bounded).</param>
    public void Generated(string endpoint, string model, CompletionUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        KeyValuePair<string, object?>[] labels = [new("endpoint", endpoint), new("model", model)];
        _generated.Add(usage.CompletionTokens, labels);
        _prompt.Add(usage.PromptTokens, labels);
    }
}
