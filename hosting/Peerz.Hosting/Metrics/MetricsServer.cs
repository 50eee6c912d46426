using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url.GetLeftPart(UriPartial.Authority));
        // A scraper needs a few kilobytes: refuse anything else early.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 0;
            k.Limits.MaxConcurrentConnections = 64;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        });
        _app = builder.Build();
        _app.MapMetrics(meters);
        try
        {
            await _app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new UserErrorException($"--metrics-listen {url}: {e.Message}");
        }
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
