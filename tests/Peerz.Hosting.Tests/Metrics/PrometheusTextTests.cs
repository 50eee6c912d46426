using Peerz.Testing.Prometheus;

namespace Peerz.Hosting.Tests.Metrics;

/// <summary>
/// The test-side parser itself, on the example exposition of the spec
/// (https://prometheus.io/docs/instrumenting/exposition_formats/, "Text format example") and on
/// input the spec forbids, so the metrics tests that rely on it can fail.
/// </summary>
public sealed class PrometheusTextTests
{
    private const string SpecExample = """
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"}    3 1395066363000

        # Escaping in label values:
        msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

        # Minimalistic line:
        metric_without_timestamp_and_labels 12.47

        # A weird metric from before the epoch:
        something_weird{problem="division by zero"} +Inf -3982045

        # A histogram, which has a pretty complex representation in the text format:
        # HELP http_request_duration_seconds A histogram of the request duration.
        # TYPE http_request_duration_seconds histogram
        http_request_duration_seconds_bucket{le="0.05"} 24054
        http_request_duration_seconds_bucket{le="0.1"} 33444
        http_request_duration_seconds_bucket{le="0.2"} 100392
        http_request_duration_seconds_bucket{le="0.5"} 129389
        http_request_duration_seconds_bucket{le="1"} 133988
        http_request_duration_seconds_bucket{le="+Inf"} 144320
        http_request_duration_seconds_sum 53423
        http_request_duration_seconds_count 144320

        # Finally a summary, which has a complex representation, too:
        # HELP rpc_duration_seconds A summary of the RPC duration in seconds.
        # TYPE rpc_duration_seconds summary
        rpc_duration_seconds{quantile="0.01"} 3102
        rpc_duration_seconds{quantile="0.05"} 3272
        rpc_duration_seconds{quantile="0.5"} 4773
        rpc_duration_seconds{quantile="0.9"} 9001
        rpc_duration_seconds{quantile="0.99"} 76656
        rpc_duration_seconds_sum 1.7560473e+07
        rpc_duration_seconds_count 2693

        """;

    [Fact]
    public void Reads_the_specs_example()
    {
        var parsed = PrometheusText.Parse(SpecExample);
        Assert.Equal(3, parsed.Value("http_requests_total", ("method", "post"), ("code", "400")));
        Assert.Equal(1.458255915e9, parsed.Value("msdos_file_access_time_seconds", ("path", @"C:\DIR\FILE.TXT"), ("error", "Cannot find file:\n\"FILE.TXT\"")));
        Assert.Equal(double.PositiveInfinity, parsed.Value("something_weird", ("problem", "division by zero")));
        Assert.Equal(144320, parsed.Value("http_request_duration_seconds_bucket", ("le", "+Inf")));
        Assert.Equal(1.7560473e+07, parsed.Value("rpc_duration_seconds_sum"));
        Assert.Equal("histogram", parsed.Types["http_request_duration_seconds"]);
        Assert.Equal(2 + 1 + 1 + 1 + 8 + 7, parsed.Samples.Count);
    }

    [Theory]
    [InlineData("a 1")] // no final line feed
    [InlineData("a{b=\"\\x\"} 1\n")] // an escape the spec does not define
    [InlineData("a{b=\"c} 1\n")] // unterminated label value
    [InlineData("a{b=\"c\",b=\"d\"} 1\n")] // a label twice
    [InlineData("a 1\n# TYPE a counter\n")] // TYPE after the samples
    [InlineData("# TYPE a counter\n# TYPE a gauge\na 1\n")] // two TYPE lines
    [InlineData("a one\n")] // not a number
    [InlineData("1a 1\n")] // not a metric name
    [InlineData("a 1\na 2\n")] // the same series twice
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\nh_count 4\n")] // not cumulative
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_sum 1\nh_count 5\n")] // no +Inf bucket
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 5\nh_sum 1\nh_count 6\n")] // +Inf differs from count
    public void Refuses_what_the_spec_forbids(string text) => Assert.Throws<FormatException>(() => PrometheusText.Parse(text));
}
