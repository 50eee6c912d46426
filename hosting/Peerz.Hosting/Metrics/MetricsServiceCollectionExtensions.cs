using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace Peerz.Hosting.Metrics;

/// <summary>Registers a process's meters and their Prometheus exporter, the metric sets every Peerz node shares, and optionally the /metrics listener.</summary>
public static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="PeerzMeters"/> and the OpenTelemetry meter provider that exports them as Prometheus text: names exactly as
    /// the instruments spell them (no _total or unit suffix added), no otel_scope_* labels and no target_info series, so
    /// /metrics lists the families it listed before the move to System.Diagnostics.Metrics (tests/…/metrics-names.txt).
    /// </summary>
    public static IServiceCollection AddMetricsExporter(this IServiceCollection services)
    {
        var prefix = PeerzMeters.NewPrefix();
        services.AddMetrics();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(prefix + ".*").AddPrometheusExporter(options =>
        {
            options.TranslationStrategy = PrometheusAspNetCoreTranslationStrategy.UnderscoreEscapingWithoutSuffixes;
            options.ScopeInfoEnabled = false;
            options.TargetInfoEnabled = false;
            // Every scrape reads the instruments now: a test (or an operator) reading twice in a row sees what happened in between.
            options.ScrapeResponseCacheDurationMilliseconds = 0;
        }));
        services.AddSingleton(sp => new PeerzMeters(sp.GetRequiredService<IMeterFactory>(), prefix, sp.GetRequiredService<MeterProvider>()));
        return services;
    }

    /// <summary>The exporter with the payment and verification counters (listed at zero from the start), and the --metrics-listen server when <paramref name="listen"/> is given.</summary>
    public static IServiceCollection AddPeerzMetrics(this IServiceCollection services, Uri? listen = null)
    {
        services.AddMetricsExporter();
        services.AddSingleton<PaymentMetrics>();
        services.AddSingleton<VerificationMetrics>();
        // Created when the host starts, not on first use, so a scrape lists the payment and verification counters at 0.
        services.AddHostedService<SharedMetricsStartup>();
        if (listen is not null)
        {
            services.AddSingleton(sp => new MetricsServer(listen, sp.GetRequiredService<PeerzMeters>(), sp.GetRequiredService<ILogger<MetricsServer>>()));
            services.AddHostedService(sp => sp.GetRequiredService<MetricsServer>());
        }
        return services;
    }

    private sealed class SharedMetricsStartup : IHostedService
    {
        // Asking for them is the point: their constructors create the instruments and record the zeros.
        public SharedMetricsStartup(PaymentMetrics payments, VerificationMetrics verifications) => _ = (payments, verifications);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
