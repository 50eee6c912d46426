using Peerz.Hosting;
using Peerz.Hosting.Metrics;

namespace Peerz.Hosting.Tests.Metrics;

/// <summary>--metrics-listen takes an http URL of a host and port, and explains what else it refuses.</summary>
public sealed class MetricsOptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:9101", "127.0.0.1", 9101)]
    [InlineData("http://localhost:0/", "localhost", 0)]
    [InlineData("http://[::1]:9101", "[::1]", 9101)]
    public void Accepts_http_host_and_port(string text, string host, int port)
    {
        var url = MetricsOptions.ParseListen(text)!;
        Assert.Equal(host, url.Host);
        Assert.Equal(port, url.Port);
    }

    [Theory]
    [InlineData("127.0.0.1:9101")]
    [InlineData("https://127.0.0.1:9101")]
    [InlineData("http://127.0.0.1:9101/metrics")]
    [InlineData("http://127.0.0.1:9101/?x=1")]
    [InlineData("nonsense")]
    public void Refuses_anything_else_with_a_user_error(string text)
    {
        var error = Assert.Throws<UserErrorException>(() => MetricsOptions.ParseListen(text));
        Assert.Contains("--metrics-listen", error.Message);
    }

    [Fact]
    public void Absent_means_no_listener() => Assert.Null(MetricsOptions.ParseListen(null));
}
