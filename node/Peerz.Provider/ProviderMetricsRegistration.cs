using Microsoft.Extensions.DependencyInjection;
using Peerz.Hosting.Metrics;
using Peerz.Node.Metrics;

namespace Peerz.Provider;

/// <summary>The provider's metrics: the shared payment and verification counters plus serving and reachability metrics, served at --metrics-listen.</summary>
public static class ProviderMetricsRegistration
{
    public static IServiceCollection AddProviderMetrics(this IServiceCollection services, string? listen)
    {
        services.AddPeerzMetrics(MetricsOptions.ParseListen(listen));
        services.AddSingleton<ServingMetrics>();
        services.AddSingleton<ReachabilityMetrics>();
        return services;
    }
}
