using Peerz.Hosting.Metrics;
using Peerz.Testing.Prometheus;

namespace Peerz.Gateway.Tests.Metrics;

/// <summary>
/// The metrics library (hosting/Peerz.Hosting/Metrics) read back by the independent parser: escaping,
/// histogram buckets, concurrency and registration rules of the text format 0.0.4.
/// </summary>
public sealed class MetricsRegistryTests
{
    [Fact]
    public void Label_values_and_help_survive_escaping_as_the_spec_defines_it()
    {
        var registry = new MetricsRegistry();
        const string hostile = "a\\b\"c\nd}e,f=g";
        registry.Counter("odd_total", "help with \\ and\nnewline", "value").WithLabels(hostile).Inc(3);
        var text = registry.Export();

        // The spec's escapes, spelled out: \\ for backslash, \" for quote, \n for line feed.
        Assert.Contains("odd_total{value=\"a\\\\b\\\"c\\nd}e,f=g\"} 3\n", text);
        Assert.Contains("# HELP odd_total help with \\\\ and\\nnewline\n", text);
        var parsed = PrometheusText.Parse(text);
        Assert.Equal(3, parsed.Value("odd_total", ("value", hostile)));
        Assert.Equal("help with \\ and\nnewline", parsed.Help["odd_total"]);
    }

    [Fact]
    public void Histogram_buckets_are_cumulative_with_inclusive_upper_bounds()
    {
        var registry = new MetricsRegistry();
        var histogram = registry.Histogram("latency_seconds", "latency", [0.1, 1], "protocol");
        foreach (var value in new[] { 0.05, 0.1, 0.5, 1, 7 }) histogram.WithLabels("x").Observe(value);
        var parsed = PrometheusText.Parse(registry.Export());

        Assert.Equal(2, parsed.Value("latency_seconds_bucket", ("protocol", "x"), ("le", "0.1")));
        Assert.Equal(4, parsed.Value("latency_seconds_bucket", ("protocol", "x"), ("le", "1")));
        Assert.Equal(5, parsed.Value("latency_seconds_bucket", ("protocol", "x"), ("le", "+Inf")));
        Assert.Equal(5, parsed.Value("latency_seconds_count", ("protocol", "x")));
        Assert.Equal(8.65, parsed.Value("latency_seconds_sum", ("protocol", "x")), 9);
    }

    [Fact]
    public async Task Concurrent_increments_are_all_counted()
    {
        var registry = new MetricsRegistry();
        var counter = registry.Counter("hits_total", "hits", "worker");
        var gauge = registry.Gauge("level", "level");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                counter.WithLabels((w % 2).ToString()).Inc();
                gauge.Inc(0.5);
            }
        })));
        var parsed = PrometheusText.Parse(registry.Export());
        Assert.Equal(80_000, parsed.Value("hits_total", ("worker", "0")));
        Assert.Equal(80_000, parsed.Value("hits_total", ("worker", "1")));
        Assert.Equal(80_000, parsed.Value("level"));
    }

    [Fact]
    public void Registering_again_shares_the_metric_and_clashes_are_refused()
    {
        var registry = new MetricsRegistry();
        new PaymentMetrics(registry).Paid(5);
        new PaymentMetrics(registry).Paid(7);
        Assert.Equal(12, PrometheusText.Parse(registry.Export()).Value("peerz_payments_paid_wei_total"));

        Assert.Throws<ArgumentException>(() => registry.Gauge("peerz_payments_paid_wei_total", "other type"));
        Assert.Throws<ArgumentException>(() => registry.Counter("peerz_payments_paid_wei_total", "other labels", "x"));
        registry.Histogram("step_seconds", "h", [1]);
        Assert.Throws<ArgumentException>(() => registry.Counter("step_seconds_count", "clashes with the histogram's series"));
        Assert.Throws<ArgumentException>(() => registry.Counter("9lives", "bad name"));
        Assert.Throws<ArgumentException>(() => registry.Counter("ok_total", "reserved label", "__name"));
        Assert.Throws<ArgumentException>(() => registry.Histogram("h2", "le is the histogram's own", [1], "le"));
        Assert.Throws<ArgumentException>(() => registry.Histogram("h3", "unsorted", [2, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => registry.Counter("down_total", "c").Inc(-1));
        Assert.Throws<ArgumentException>(() => new VerificationMetrics(registry).Record("maybe"));
    }

    [Fact]
    public void Label_combinations_are_bounded()
    {
        var counter = new MetricsRegistry().Counter("many_total", "c", "id");
        for (var i = 0; i < Counter.MaxChildren; i++) counter.WithLabels(i.ToString()).Inc();
        Assert.Throws<InvalidOperationException>(() => counter.WithLabels("one more"));
        Assert.Throws<ArgumentException>(() => counter.WithLabels("a", "b"));
    }

    [Fact]
    public void Special_values_use_the_spellings_a_scraper_parses()
    {
        var registry = new MetricsRegistry();
        registry.Gauge("g", "gauge", "k").WithLabels("inf").Set(double.PositiveInfinity);
        registry.Gauge("g", "gauge", "k").WithLabels("nan").Set(double.NaN);
        registry.Gauge("g", "gauge", "k").WithLabels("tiny").Set(1e-300);
        var text = registry.Export();
        Assert.Contains("g{k=\"inf\"} +Inf\n", text);
        Assert.Contains("g{k=\"nan\"} NaN\n", text);
        var parsed = PrometheusText.Parse(text);
        Assert.Equal(1e-300, parsed.Value("g", ("k", "tiny")));
    }
}
