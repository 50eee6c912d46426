using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Peerz.Hosting.Metrics;

/// <summary>GET /metrics: the meters of <see cref="PeerzMeters"/> in Prometheus' text format, for any Kestrel app (gateway, provider, verifier).</summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>Maps /metrics on <paramref name="endpoints"/>, which may be another app than the one whose services hold <paramref name="meters"/>.</summary>
    public static IEndpointConventionBuilder MapMetrics(this IEndpointRouteBuilder endpoints, PeerzMeters meters) =>
        endpoints.MapPrometheusScrapingEndpoint(Path, meters.Exporter ?? throw new InvalidOperationException("these meters have no exporter"), null, null);
}
