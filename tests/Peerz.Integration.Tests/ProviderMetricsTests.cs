using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client.Remote;
using Peerz.Discovery;
using Peerz.Node.Protocols;
using Peerz.Testing.Processes;
using Peerz.Testing.Prometheus;
using static TorchSharp.torch;

namespace Peerz.Integration.Tests;

/// <summary>
/// `peerz-provider --metrics-listen` as a real process: after real inference, forward and refused
/// requests over libp2p, its /metrics (read with the independent parser) counts exactly those.
/// </summary>
[Trait("Category", "Process")]
public sealed class ProviderMetricsTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>, IAsyncLifetime
{
    private const long CacheBytes = 64L << 20;
    private readonly string _home = TempDirectory.Create("provider-metrics");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private PeerzProcess _provider = null!;
    private string? _metricsUrl;
    private SwarmClient _client = null!;

    public async Task InitializeAsync()
    {
        (_provider, var address) = ProviderProcess.Start(model.Directory, Path.Combine(_home, "provider.key"), "0:4",
            "--cache-bytes", CacheBytes.ToString(), "--metrics-listen", "http://127.0.0.1:0");
        _metricsUrl = ProviderProcess.MetricsUrl(_provider);
        _client = new SwarmClient([address], NullLoggerFactory.Instance);
        await _client.StartAsync(CancellationToken.None);
    }

    private async Task<PrometheusText> ScrapeAsync()
    {
        using var response = await _http.GetAsync(_metricsUrl);
        response.EnsureSuccessStatusCode();
        Assert.Equal("0.0.4", response.Content.Headers.ContentType?.Parameters.Single(p => p.Name == "version").Value);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_count_the_sessions_tokens_and_refusals_the_provider_served()
    {
        Assert.True(_metricsUrl is not null, "no 'metrics on' line in the provider's log:\n" + _provider.Output);
        var provider = Assert.Single(await _client.GetProvidersAsync("tiny", CancellationToken.None));
        var span = new SpanRequest("tiny", 0, 4);
        var options = new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) };
        var hiddenSize = TinyModelFixture.TestShape.Hidden;

        // An inference session: a 5-token prefix, then 3 single-token steps.
        await using (var session = await RemoteSpanSession.OpenAsync(await _client.OpenStreamAsync(provider, PeerzProtocolIds.Inference, default), span, 1, 32, options, null, default))
        {
            foreach (var length in new[] { 5, 1, 1, 1 })
            {
                using var hidden = randn(1, length, hiddenSize);
                (await session.StepAsync(hidden, default)).Dispose();
            }
            var open = await ScrapeAsync();
            Assert.Equal(1, open.Value("peerz_provider_sessions_open"));
            Assert.True(open.Value("peerz_provider_cache_used_bytes") > 0);
            Assert.Equal(CacheBytes, open.Value("peerz_provider_cache_used_bytes") + open.Value("peerz_provider_cache_free_bytes"));
        }

        // A forward call of a batch of 2 x 3 tokens, and a session refused for the wrong model.
        using (var batch = randn(2, 3, hiddenSize))
            (await RemoteTraining.ForwardAsync(await _client.OpenStreamAsync(provider, PeerzProtocolIds.Forward, default), span, batch, null, null, options, null, default)).Dispose();
        await Assert.ThrowsAsync<PeerzRequestException>(async () =>
            await RemoteSpanSession.OpenAsync(await _client.OpenStreamAsync(provider, PeerzProtocolIds.Inference, default), span with { ModelId = "other" }, 1, 8, options, null, default));

        var metrics = await ScrapeAsync();
        Assert.Equal(5 + 1 + 1 + 1, metrics.Value("peerz_provider_tokens_total", ("protocol", "inference")));
        Assert.Equal(2 * 3, metrics.Value("peerz_provider_tokens_total", ("protocol", "forward")));
        Assert.Equal(4, metrics.Value("peerz_provider_requests_total", ("protocol", "inference"), ("result", "ok")));
        Assert.Equal(1, metrics.Value("peerz_provider_requests_total", ("protocol", "forward"), ("result", "ok")));
        Assert.Equal(1, metrics.Value("peerz_provider_requests_total", ("protocol", "inference"), ("result", "wrong_span")));
        Assert.Equal(1, metrics.Value("peerz_provider_sessions_opened_total"));
        Assert.Equal(4, metrics.Value("peerz_provider_step_duration_seconds_count", ("protocol", "inference")));
        Assert.Equal(1, metrics.Value("peerz_provider_step_duration_seconds_count", ("protocol", "forward")));
        Assert.Equal(0, metrics.Value("peerz_payments_received_wei_total"));
        Assert.Equal("counter", metrics.Types["peerz_verifications_total"]);

        // The closed session gives its slot and cache back (the close reaches the provider asynchronously).
        for (var attempt = 0; attempt < 50 && metrics.Value("peerz_provider_sessions_open") != 0; attempt++)
        {
            await Task.Delay(100);
            metrics = await ScrapeAsync();
        }
        Assert.Equal(0, metrics.Value("peerz_provider_sessions_open"));
        Assert.Equal(0, metrics.Value("peerz_provider_cache_used_bytes"));
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        _provider.Dispose();
        _http.Dispose();
        TempDirectory.Delete(_home);
    }
}
