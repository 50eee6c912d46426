using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Peerz.Hosting;

/// <summary>
/// The Kestrel app behind the operator-facing listeners that only answer GETs (--metrics-listen, --status-listen): a
/// scraper or a browser needs a few kilobytes, so anything else is refused early (no request bodies, 64 connections,
/// 10 s for the headers), and Kestrel's own logging stays out of the process's log.
/// </summary>
public static class ReadOnlyListener
{
    public static WebApplication Build(Uri url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url.GetLeftPart(UriPartial.Authority));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 0;
            k.Limits.MaxConcurrentConnections = 64;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        });
        return builder.Build();
    }

    /// <summary>Starts <paramref name="app"/>; an address that cannot be bound is a user error naming <paramref name="flag"/>.</summary>
    public static async Task StartAsync(WebApplication app, string flag, Uri url, CancellationToken cancellationToken)
    {
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new UserErrorException($"{flag} {url}: {e.Message}");
        }
    }
}
