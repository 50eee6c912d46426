using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Rewards;
using Peerz.Settlement.Storage;

namespace Peerz.Settlement.Http;

/// <summary>
/// The settlement HTTP API on Kestrel: <c>POST /v1/receipts</c>, <c>POST /v1/verifications</c>,
/// <c>GET /v1/epochs/{n}/proofs/{account}</c> and <c>GET /v1/epochs/last/earners?top=N</c> (read-only, for dashboards). Bodies are bounded (413 beyond <see cref="SettlementOptions.MaxRequestBytes"/>),
/// malformed JSON is a 400, and every refusal carries <c>{"error": "..."}</c>.
/// </summary>
public sealed class SettlementHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SettlementHttpServer(WebApplication app) => _app = app;

    /// <summary>The address the server listens on (with the actual port when the options asked for port 0).</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static async Task<SettlementHttpServer> StartAsync(ContributionIntake intake, SettlementStore store, SettlementOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseUrls(options.Listen.ToString());
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        });
        var app = builder.Build();
        var logger = loggerFactory.CreateLogger<SettlementHttpServer>();

        app.MapPost("/v1/receipts", (Delegate)((HttpContext context) => HandleAsync<ReceiptReport>(context, options, logger, (r, ct) => intake.ReportReceiptAsync(r, ct))));
        app.MapPost("/v1/verifications", (Delegate)((HttpContext context) => HandleAsync<VerificationReport>(context, options, logger, (r, ct) => intake.ReportVerificationAsync(r, ct))));
        app.MapGet("/v1/epochs/{epoch}/proofs/{account}", async (string epoch, string account, CancellationToken ct) =>
        {
            if (!long.TryParse(epoch, out var n) || n < 0) return Error(400, $"'{epoch}' is not an epoch number");
            if (!Peerz.Chain.Crypto.Address.TryParse(account, out var address)) return Error(400, $"'{account}' is not an address");
            var record = await store.GetEpochAsync(n, ct).ConfigureAwait(false);
            if (record is not { State: EpochState.Published }) return Error(404, $"epoch {n} is not settled yet");
            var rewards = await store.RewardsOfAsync(n, address, ct).ConfigureAwait(false);
            return rewards.Count == 0
                ? Error(404, $"{address} has no reward in epoch {n}")
                : Results.Json(new ClaimProof(n, rewards[0].Account, Hex.Encode(record.Root), [.. rewards.Select(r => RoleClaim.From(r.Role, r.Amount, r.Proof))]));
        });

        app.MapGet("/v1/epochs/last/earners", async (string? top, CancellationToken ct) =>
        {
            var count = 10;
            if (top is not null && (!int.TryParse(top, out count) || count is < 1 or > EpochEarners.MaxEarners))
                return Error(400, $"top must be a number from 1 to {EpochEarners.MaxEarners}");
            var record = await store.LastPublishedEpochAsync(ct).ConfigureAwait(false);
            if (record is null) return Error(404, "no epoch is settled yet");
            var rewards = await store.TopRewardsAsync(record.Epoch, count, ct).ConfigureAwait(false);
            return Results.Json(new EpochEarners(record.Epoch, Hex.Encode(record.Root), record.Total.ToString(CultureInfo.InvariantCulture),
                record.TransactionHash is null ? null : Hex.Encode(record.TransactionHash),
                [.. rewards.Select(r => new EpochEarner(r.Account, RoleClaim.NameOf(r.Role), r.Amount.ToString(CultureInfo.InvariantCulture)))]));
        });

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new SettlementHttpServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<IResult> HandleAsync<T>(HttpContext context, SettlementOptions options, ILogger logger, Func<T, CancellationToken, Task<ReportResult>> handle)
        where T : class
    {
        var ct = context.RequestAborted;
        try
        {
            var body = await ReadBoundedAsync(context.Request, options.MaxRequestBytes, ct).ConfigureAwait(false);
            T? report;
            try
            {
                report = JsonSerializer.Deserialize<T>(body, SettlementJson.Options);
            }
            catch (JsonException e)
            {
                return Error(400, $"the body is not a valid {typeof(T).Name}: {e.Message}");
            }

            if (report is null) return Error(400, "the body must be a JSON object");
            return Results.Json(await handle(report, ct).ConfigureAwait(false));
        }
        catch (IntakeException e)
        {
            logger.LogInformation("{Path} refused ({Status}): {Reason}", context.Request.Path, e.StatusCode, e.Message);
            return Error(e.StatusCode, e.Message);
        }
        catch (BadHttpRequestException e)
        {
            return Error(e.StatusCode, e.Message);
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) throw new IntakeException(413, $"the body is larger than {limit} bytes");
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit) throw new IntakeException(413, $"the body is larger than {limit} bytes");
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static IResult Error(int status, string message) => Results.Json(new SettlementError(message), statusCode: status);
}
