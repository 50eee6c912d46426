using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Peerz.Gateway;

/// <summary>Starts the OpenAI-compatible gateway on Kestrel at the given URL (e.g. http://127.0.0.1:8080).</summary>
public static class GatewayServer
{
    public static async Task<WebApplication> StartAsync(ICompletionEngine engine, string url, int maxTokensPerRequest = 512, LogLevel logLevel = LogLevel.Warning, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(logLevel);
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        GatewayEndpoints.Map(app, engine, maxTokensPerRequest);
        await app.StartAsync(cancellationToken);
        return app;
    }
}
