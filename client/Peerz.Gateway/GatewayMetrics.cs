using Peerz.Hosting.Metrics;

namespace Peerz.Gateway;

/// <summary>The gateway's own metrics: requests by endpoint and HTTP status, tokens in and out, request latency.</summary>
public sealed class GatewayMetrics(MetricsRegistry registry)
{
    private readonly Counter _requests = registry.Counter("peerz_gateway_requests_total", "Completion requests answered, by endpoint (completions, chat_completions) and HTTP status", "endpoint", "status");
    private readonly Counter _generated = registry.Counter("peerz_gateway_tokens_generated_total", "Completion tokens generated through the swarm", "endpoint");
    private readonly Counter _prompt = registry.Counter("peerz_gateway_prompt_tokens_total", "Prompt tokens sent through the swarm", "endpoint");
    private readonly Histogram _duration = registry.Histogram("peerz_gateway_request_duration_seconds", "Time from request to the last byte of the answer (streamed or not)", Histogram.DefaultSecondsBuckets, "endpoint");

    public void Answered(string endpoint, int status, TimeSpan elapsed)
    {
        _requests.WithLabels(endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _duration.WithLabels(endpoint).Observe(elapsed.TotalSeconds);
    }

    public void Generated(string endpoint, CompletionUsage usage)
    {
        _generated.WithLabels(endpoint).Inc(usage.CompletionTokens);
        _prompt.WithLabels(endpoint).Inc(usage.PromptTokens);
    }
}
