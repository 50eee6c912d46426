using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Peerz.Hosting.Metrics;

/// <summary>GET /metrics: the registry in Prometheus' text format, for any Kestrel app (gateway, provider, verifier).</summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static IEndpointConventionBuilder MapMetrics(this IEndpointRouteBuilder endpoints, MetricsRegistry registry) =>
        endpoints.MapGet(Path, () => Results.Text(registry.Export(), TextFormat.ContentType));
}
