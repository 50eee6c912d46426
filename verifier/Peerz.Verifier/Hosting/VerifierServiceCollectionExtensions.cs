using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Peerz.Hosting.Metrics;

namespace Peerz.Verifier.Hosting;

/// <summary>Registers peerz-verifier in a host: its options (validated when the host starts), its metrics and <see cref="VerifierHostedService"/>.</summary>
public static class VerifierServiceCollectionExtensions
{
    public static IServiceCollection AddPeerzVerifier(this IServiceCollection services, Action<VerifierOptions> configure)
    {
        services.AddOptions<VerifierOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VerifierOptions>, VerifierOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        // The verifier's /metrics (on its --http listener) lists its spot checks only.
        services.AddMetricsExporter();
        services.AddSingleton<VerificationMetrics>();
        services.AddHostedService<VerifierHostedService>();
        return services;
    }
}
