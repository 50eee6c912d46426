using System.Net.Http.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client.Remote;
using Peerz.Discovery;
using Peerz.Model.Tiny;
using Peerz.Node.Protocols;
using Peerz.Testing.Processes;
using static TorchSharp.torch;

namespace Peerz.Integration.Tests.Metrics;

/// <summary>
/// The metric names, types and labels that dashboards, alerts and the other tests read stay what they were: each
/// process's /metrics after real traffic, compared with metrics-names.txt (recorded from the hand-written registry).
/// </summary>
[Trait("Category", "Process")]
public sealed partial class MetricsNamesTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>, IDisposable
{
    private readonly string _home = TempDirectory.Create("metrics-names");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task The_provider_serves_the_recorded_families_on_metrics_listen_and_on_its_status_page()
    {
        var (provider, address) = ProviderProcess.Start(model.Directory, Path.Combine(_home, "provider.key"), "0:4",
            "--metrics-listen", "http://127.0.0.1:0", "--status-listen", "http://127.0.0.1:0");
        using var _ = provider;
        await using (var client = new SwarmClient([address], NullLoggerFactory.Instance))
        {
            await client.StartAsync(CancellationToken.None);
            var record = Assert.Single(await client.GetProvidersAsync("tiny", CancellationToken.None));
            var span = new SpanRequest("tiny", 0, 4);
            var options = new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) };
            await using (var session = await RemoteSpanSession.OpenAsync(await client.OpenStreamAsync(record, PeerzProtocolIds.Inference, default), span, 1, 16, options, null, default))
            {
                using var hidden = randn(1, 3, TinyModelFixture.TestShape.Hidden);
                (await session.StepAsync(hidden, default)).Dispose();
            }
            await Assert.ThrowsAsync<PeerzRequestException>(async () =>
                await RemoteSpanSession.OpenAsync(await client.OpenStreamAsync(record, PeerzProtocolIds.Inference, default), span with { ModelId = "other" }, 1, 8, options, null, default));
        }

        var metricsUrl = ProviderProcess.MetricsUrl(provider) ?? throw new InvalidOperationException("no 'metrics on' line:\n" + provider.Output);
        MetricsNamesFile.AssertMatches("provider", await _http.GetStringAsync(metricsUrl));
        var statusUrl = StatusLine().Match(provider.Output).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(statusUrl), "no 'status page on' line:\n" + provider.Output);
        MetricsNamesFile.AssertMatches("provider", await _http.GetStringAsync(statusUrl + "metrics"));
    }

    [Fact]
    public async Task The_gateway_serves_the_recorded_families()
    {
        var checkpoint = Path.Combine(_home, "tiny");
        TinyCheckpoint.Write(checkpoint, TinyModelFixture.TestShape with { Vocab = 512 });
        var (gateway, url) = GatewayProcess.Start("--local", "--model", checkpoint, "--model-id", "tiny", "--url", "http://127.0.0.1:0");
        using var _ = gateway;
        (await _http.PostAsJsonAsync(url + "/v1/completions", new { prompt = "Hello", max_tokens = 3, temperature = 0 })).EnsureSuccessStatusCode();
        (await _http.PostAsJsonAsync(url + "/v1/chat/completions", new { messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 3 })).EnsureSuccessStatusCode();
        MetricsNamesFile.AssertMatches("gateway", await _http.GetStringAsync(url + "/metrics"));
    }

    public void Dispose()
    {
        _http.Dispose();
        TempDirectory.Delete(_home);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"status page on (http://\S+/)")]
    private static partial System.Text.RegularExpressions.Regex StatusLine();
}
