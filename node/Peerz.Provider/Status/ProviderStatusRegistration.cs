using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Peerz.Hosting;
using Peerz.Hosting.Metrics;

namespace Peerz.Provider.Status;

/// <summary>The status page's services: the source ProviderService fills in, and the server when --status-listen is given.</summary>
public static class ProviderStatusRegistration
{
    public static IServiceCollection AddProviderStatus(this IServiceCollection services, string? listen)
    {
        services.AddSingleton<ProviderStatusSource>();
        if (listen is null) return services;
        if (!Uri.TryCreate(listen, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttp || url.AbsolutePath != "/" || string.IsNullOrEmpty(url.Host))
            throw new UserErrorException($"--status-listen '{listen}' must be http://HOST:PORT, e.g. http://127.0.0.1:9102");
        services.AddSingleton(sp => new ProviderStatusServer(url, sp.GetRequiredService<ProviderStatusSource>(), sp.GetRequiredService<PeerzMeters>(),
            sp.GetRequiredService<ILogger<ProviderStatusServer>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ProviderStatusServer>());
        return services;
    }
}
