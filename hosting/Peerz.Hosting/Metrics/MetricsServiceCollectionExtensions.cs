using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Peerz.Hosting.Metrics;

/// <summary>Registers a process's registry with the metric sets every Peerz node shares, and optionally the /metrics listener.</summary>
public static class MetricsServiceCollectionExtensions
{
    public static IServiceCollection AddPeerzMetrics(this IServiceCollection services, MetricsRegistry registry, Uri? listen = null)
    {
        services.AddSingleton(registry);
        // Created now, not on first use, so a scrape lists the payment and verification counters at 0.
        services.AddSingleton(new PaymentMetrics(registry));
        services.AddSingleton(new VerificationMetrics(registry));
        if (listen is not null)
        {
            services.AddSingleton(sp => new MetricsServer(listen, registry, sp.GetRequiredService<ILogger<MetricsServer>>()));
            services.AddHostedService(sp => sp.GetRequiredService<MetricsServer>());
        }
        return services;
    }
}
