using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Peerz.Gateway.Economics;
using Peerz.Gateway.Network;
using Peerz.Hosting.Logging;
using Peerz.Hosting.Metrics;

namespace Peerz.Gateway;

/// <summary>
/// Starts the OpenAI-compatible gateway on Kestrel at the given URL (e.g. http://127.0.0.1:8080),
/// with GET /metrics over the app's own meters (its PaymentMetrics is in app.Services for the caller to count payments).
/// </summary>
public static class GatewayServer
{
    /// <param name="engines">The models served, by <see cref="ICompletionEngine.ModelId"/> (distinct); the first answers requests that name none.</param>
    /// <param name="network">The swarm map behind /v1/network; without one (a local gateway) the map lists no models.</param>
    /// <param name="economics">The chain's reward epoch and voucher flow behind /v1/economics; without one it says there is no chain.</param>
    public static async Task<WebApplication> StartAsync(IReadOnlyList<ICompletionEngine> engines, string url, int maxTokensPerRequest = 512, bool verbose = false,
        NetworkView? network = null, EconomicsView? economics = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engines);
        if (engines.Count == 0) throw new ArgumentException("a gateway serves at least one model", nameof(engines));
        if (engines.Select(e => e.ModelId).Distinct(StringComparer.Ordinal).Count() != engines.Count)
            throw new ArgumentException($"model ids must be distinct: {string.Join(", ", engines.Select(e => e.ModelId))}", nameof(engines));
        var builder = WebApplication.CreateSlimBuilder();
        // The CLI's logging (peerz serve): warnings and errors on stderr, everything from Debug on with --verbose.
        builder.Logging.AddPeerzConsole(verbose, LogLevel.Warning, toStandardError: true);
        builder.WebHost.UseUrls(url);
        builder.Services.AddPeerzMetrics();
        builder.Services.AddSingleton<GatewayMetrics>();
        var app = builder.Build();
        network ??= new NetworkView(null, [], null, Options.Create(new NetworkViewOptions()), TimeProvider.System, app.Services.GetRequiredService<ILogger<NetworkView>>());
        economics ??= new EconomicsView(null, null, null, null, null, Options.Create(new EconomicsViewOptions()), TimeProvider.System, app.Services.GetRequiredService<ILogger<EconomicsView>>());
        GatewayEndpoints.Map(app, engines, maxTokensPerRequest, app.Services.GetRequiredService<GatewayMetrics>(), network, economics);
        app.MapMetrics(app.Services.GetRequiredService<PeerzMeters>());
        await app.StartAsync(cancellationToken);
        return app;
    }
}
