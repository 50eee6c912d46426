using System.Net.Http.Json;
using Peerz.Testing.Prometheus;

namespace Peerz.Gateway.Tests;

/// <summary>GET /metrics on the real gateway after real requests, read with the independent parser in Peerz.Testing.</summary>
public sealed class GatewayMetricsTests : IAsyncLifetime
{
    private LocalGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await LocalGateway.StartAsync();

    [Fact]
    public async Task Metrics_count_the_requests_tokens_and_errors_that_were_served()
    {
        const string prompt = "Count me";
        var promptTokens = _gateway.Tokenizer.Encode(prompt, addSpecialTokens: true).Length;
        for (var i = 0; i < 2; i++)
            (await _gateway.Http.PostAsJsonAsync("/v1/completions", new { prompt, max_tokens = 5, temperature = 0 })).EnsureSuccessStatusCode();
        var chat = await _gateway.Http.PostAsJsonAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = prompt } }, max_tokens = 7, stream = true });
        await chat.Content.ReadAsStringAsync();
        chat.EnsureSuccessStatusCode();
        var refused = await _gateway.Http.PostAsJsonAsync("/v1/completions", new { model = "other", prompt });
        Assert.Equal(404, (int)refused.StatusCode);

        using var response = await _gateway.Http.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Content.Headers.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        var metrics = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(2, metrics.Value("peerz_gateway_requests_total", ("endpoint", "completions"), ("status", "200")));
        Assert.Equal(1, metrics.Value("peerz_gateway_requests_total", ("endpoint", "completions"), ("status", "404")));
        Assert.Equal(1, metrics.Value("peerz_gateway_requests_total", ("endpoint", "chat_completions"), ("status", "200")));
        Assert.Equal(2 * 5, metrics.Value("peerz_gateway_tokens_generated_total", ("endpoint", "completions"), ("model", "tiny")));
        Assert.Equal(7, metrics.Value("peerz_gateway_tokens_generated_total", ("endpoint", "chat_completions"), ("model", "tiny")));
        Assert.Equal(2 * promptTokens, metrics.Value("peerz_gateway_prompt_tokens_total", ("endpoint", "completions"), ("model", "tiny")));
        Assert.Equal(3, metrics.Value("peerz_gateway_request_duration_seconds_count", ("endpoint", "completions")));
        Assert.Equal(1, metrics.Value("peerz_gateway_request_duration_seconds_count", ("endpoint", "chat_completions")));
        Assert.Equal("histogram", metrics.Types["peerz_gateway_request_duration_seconds"]);

        // Registered for the payment and verifier code, at zero until it reports.
        Assert.Equal(0, metrics.Value("peerz_payments_paid_wei_total"));
        Assert.Equal(0, metrics.Value("peerz_payments_received_wei_total"));
        Assert.Equal("counter", metrics.Types["peerz_verifications_total"]);
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();
}
