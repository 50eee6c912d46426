using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Peerz.Hosting;
using Peerz.Hosting.Metrics;

namespace Peerz.Provider.Status;

/// <summary>
/// `--status-listen`: a page for the provider's operator at /, over what the provider already knows: /status.json (its
/// ServerInfo, as announced and answered on /peerz/info, plus stake and jail read from the registry, shared for 5 s and
/// bounded at 3 s) and /metrics (the same meters --metrics-listen serves: sessions, cache, tokens, payments).
/// </summary>
public sealed class ProviderStatusServer(Uri url, ProviderStatusSource source, PeerzMeters meters, ILogger<ProviderStatusServer> logger) : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan ChainTimeout = TimeSpan.FromSeconds(3);
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithFormatDefaultValues(true));
    private readonly SharedRead<JsonObject?> _chain = new(() => ReadChainAsync(source), TimeSpan.FromSeconds(5), TimeProvider.System);
    private WebApplication? _app;

    /// <summary>Where it listens, with the real port when the URL asked for port 0.</summary>
    public string? Url => _app?.Urls.FirstOrDefault();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _app = ReadOnlyListener.Build(url);
        var page = Page();
        _app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        _app.MapGet("/status.json", async (CancellationToken cancellationToken) =>
        {
            var info = source.Describe();
            var status = new JsonObject
            {
                ["serving"] = info is not null,
                ["peer_id"] = source.PeerId,
                ["info"] = info is null ? null : JsonNode.Parse(Formatter.Format(info)),
                ["chain"] = await _chain.GetAsync(cancellationToken),
            };
            return Results.Content(status.ToJsonString(), "application/json");
        });
        _app.MapMetrics(meters);
        await ReadOnlyListener.StartAsync(_app, "--status-listen", url, cancellationToken);
        logger.LogInformation("status page on {Url}/", Url);
    }

    private static async Task<JsonObject?> ReadChainAsync(ProviderStatusSource source)
    {
        if (source.Registry is not { } chainRegistry || source.Account is not { } account) return null;
        using var bound = new CancellationTokenSource(ChainTimeout);
        try
        {
            var provider = await chainRegistry.GetProviderAsync(account, bound.Token).WaitAsync(bound.Token);
            var active = await chainRegistry.IsActiveAsync(account, bound.Token).WaitAsync(bound.Token);
            return new JsonObject
            {
                ["account"] = account.ToString(),
                ["stake"] = provider.Stake.ToString(CultureInfo.InvariantCulture),
                ["jailed"] = provider.Jailed,
                ["active"] = active,
                ["unbonding"] = provider.UnbondingAmount.ToString(CultureInfo.InvariantCulture),
            };
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or InvalidOperationException or FormatException)
        {
            return new JsonObject { ["account"] = account.ToString(), ["error"] = bound.IsCancellationRequested ? $"the chain did not answer within {ChainTimeout.TotalSeconds:0} s" : e.Message };
        }
    }

    private static string Page()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("status.html")!;
        return new StreamReader(stream).ReadToEnd();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
