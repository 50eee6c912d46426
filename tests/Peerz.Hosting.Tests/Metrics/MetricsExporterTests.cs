using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Peerz.Hosting.Metrics;
using Peerz.Testing.Prometheus;

namespace Peerz.Hosting.Tests.Metrics;

/// <summary>
/// The metrics wiring (hosting/Peerz.Hosting/Metrics: System.Diagnostics.Metrics instruments, OpenTelemetry's Prometheus
/// exporter) scraped over HTTP from a real Kestrel app and read back by the independent parser: escaping, histogram
/// buckets, concurrency, the shared payment and verification counters, and one process's scopes kept apart.
/// </summary>
public sealed class MetricsExporterTests : IAsyncLifetime
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private WebApplication _app = null!;

    private PeerzMeters Meters => _app.Services.GetRequiredService<PeerzMeters>();

    public async Task InitializeAsync() => _app = await StartAsync();

    private static async Task<WebApplication> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddPeerzMetrics();
        var app = builder.Build();
        app.MapMetrics(app.Services.GetRequiredService<PeerzMeters>());
        await app.StartAsync();
        return app;
    }

    private async Task<(PrometheusText Parsed, string Text)> ScrapeAsync(WebApplication? app = null)
    {
        var text = await _http.GetStringAsync((app ?? _app).Urls.First() + MetricsEndpoint.Path);
        return (PrometheusText.Parse(text), text);
    }

    [Fact]
    public async Task Label_values_and_help_survive_escaping_as_the_spec_defines_it()
    {
        const string hostile = "a\\b\"c\nd}e,f=g";
        Meters.Create("Test").CreateCounter<long>("odd_total", description: "help with \\ and\nnewline").Add(3, new KeyValuePair<string, object?>("value", hostile));
        var (parsed, text) = await ScrapeAsync();

        // The spec's escapes, spelled out: \\ for backslash, \" for quote, \n for line feed.
        Assert.Contains("odd_total{value=\"a\\\\b\\\"c\\nd}e,f=g\"} 3\n", text);
        Assert.Contains("# HELP odd_total help with \\\\ and\\nnewline\n", text);
        Assert.Equal(3, parsed.Value("odd_total", ("value", hostile)));
        Assert.Equal("help with \\ and\nnewline", parsed.Help["odd_total"]);
        Assert.Equal("counter", parsed.Types["odd_total"]);
    }

    [Fact]
    public async Task Latency_histograms_keep_their_bounds_with_cumulative_inclusive_buckets()
    {
        var histogram = Meters.Create("Test").CreateSecondsHistogram("latency_seconds", "latency");
        foreach (var value in new[] { 0.05, 0.1, 0.5, 1, 7 }) histogram.Record(value, new KeyValuePair<string, object?>("protocol", "x"));
        var (parsed, _) = await ScrapeAsync();

        var bounds = parsed.Samples.Where(s => s.Name == "latency_seconds_bucket").Select(s => s.Labels["le"]).ToList();
        Assert.Equal([.. LatencyBuckets.Seconds.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture)), "+Inf"], bounds);
        Assert.Equal(2, parsed.Value("latency_seconds_bucket", ("protocol", "x"), ("le", "0.1")));
        Assert.Equal(4, parsed.Value("latency_seconds_bucket", ("protocol", "x"), ("le", "1")));
        Assert.Equal(4, parsed.Value("latency_seconds_bucket", ("protocol", "x"), ("le", "5")));
        Assert.Equal(5, parsed.Value("latency_seconds_bucket", ("protocol", "x"), ("le", "+Inf")));
        Assert.Equal(5, parsed.Value("latency_seconds_count", ("protocol", "x")));
        Assert.Equal(8.65, parsed.Value("latency_seconds_sum", ("protocol", "x")), 9);
        Assert.Equal("histogram", parsed.Types["latency_seconds"]);
    }

    [Fact]
    public async Task Concurrent_increments_are_all_counted()
    {
        var counter = Meters.Create("Test").CreateCounter<long>("hits_total");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++) counter.Add(1, new KeyValuePair<string, object?>("worker", (w % 2).ToString()));
        })));
        var (parsed, _) = await ScrapeAsync();
        Assert.Equal(80_000, parsed.Value("hits_total", ("worker", "0")));
        Assert.Equal(80_000, parsed.Value("hits_total", ("worker", "1")));
    }

    [Fact]
    public async Task Shared_counters_are_listed_at_zero_and_add_up_across_their_users()
    {
        var (before, _) = await ScrapeAsync();
        Assert.Equal(0, before.Value("peerz_payments_paid_wei_total"));
        Assert.Equal(0, before.Value("peerz_payments_received_wei_total"));
        foreach (var result in VerificationMetrics.Results) Assert.Equal(0, before.Value("peerz_verifications_total", ("result", result)));

        // Two users of the payment counters (the wallet and the gateway, say) count into the same series.
        _app.Services.GetRequiredService<PaymentMetrics>().Paid(5);
        new PaymentMetrics(Meters).Paid(7);
        _app.Services.GetRequiredService<VerificationMetrics>().Record("mismatch");
        var (after, _) = await ScrapeAsync();
        Assert.Equal(12, after.Value("peerz_payments_paid_wei_total"));
        Assert.Equal(1, after.Value("peerz_verifications_total", ("result", "mismatch")));

        Assert.Throws<ArgumentException>(() => _app.Services.GetRequiredService<VerificationMetrics>().Record("maybe"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _app.Services.GetRequiredService<PaymentMetrics>().Paid(-1));
    }

    [Fact]
    public async Task Two_hosts_in_one_process_count_only_their_own_work()
    {
        await using var other = await StartAsync();
        other.Services.GetRequiredService<PaymentMetrics>().Paid(40);
        Assert.Equal(0, (await ScrapeAsync()).Parsed.Value("peerz_payments_paid_wei_total"));
        Assert.Equal(40, (await ScrapeAsync(other)).Parsed.Value("peerz_payments_paid_wei_total"));
    }

    [Fact]
    public async Task Special_values_use_the_spellings_a_scraper_parses()
    {
        var gauge = Meters.Create("Test").CreateGauge<double>("g", description: "gauge");
        gauge.Record(double.PositiveInfinity, new KeyValuePair<string, object?>("k", "inf"));
        gauge.Record(double.NaN, new KeyValuePair<string, object?>("k", "nan"));
        gauge.Record(1e-300, new KeyValuePair<string, object?>("k", "tiny"));
        var (parsed, text) = await ScrapeAsync();
        Assert.Contains("g{k=\"inf\"} +Inf\n", text);
        Assert.Contains("g{k=\"nan\"} NaN\n", text);
        Assert.Equal(1e-300, parsed.Value("g", ("k", "tiny")));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }
}
