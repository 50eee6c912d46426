using System.CommandLine;

namespace Peerz.Hosting.Metrics;

/// <summary>The --metrics-listen option, the same for every executable that has no HTTP API of its own.</summary>
public static class MetricsOptions
{
    public static Option<string?> Listen() => new("--metrics-listen")
    {
        Description = "Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. http://127.0.0.1:9101; port 0 picks a free one)",
    };

    /// <summary>Checks a --metrics-listen value: an http URL with a host and a port, nothing else.</summary>
    public static Uri? ParseListen(string? text)
    {
        if (text is null) return null;
        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp && url.AbsolutePath == "/" && string.IsNullOrEmpty(url.Query)
            && !string.IsNullOrEmpty(url.Host))
            return url;
        throw new UserErrorException($"--metrics-listen '{text}' must be http://HOST:PORT, e.g. http://127.0.0.1:9101");
    }
}
