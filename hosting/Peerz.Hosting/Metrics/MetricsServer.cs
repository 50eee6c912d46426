using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Peerz.Hosting.Metrics;

/// <summary>
/// A Kestrel listener that serves only GET /metrics, for processes that have no HTTP API of their
/// own (peerz-provider, peerz-verifier). Started with the host, so it can be scraped while the
/// model loads.
/// </summary>
public sealed class MetricsServer(Uri url, PeerzMeters meters, ILogger<MetricsServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>Where it listens, with the real port when the URL asked for port 0.</summary>
    public string? Url => _app?.Urls.FirstOrDefault();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _app = ReadOnlyListener.Build(url);
        _app.MapMetrics(meters);
        await ReadOnlyListener.StartAsync(_app, "--metrics-listen", url, cancellationToken);
        logger.LogInformation("metrics on {Url}{Path}", Url, MetricsEndpoint.Path);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
