using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Peerz.Hosting.Metrics;
using Peerz.Protocol.Payments;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Http;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Storage;

namespace Peerz.Verifier.Hosting;

/// <summary>
/// The verifier's HTTP listener: takes receipt reports on POST /v1/receipts (the body bounded), serves the evidence records
/// behind its slash proposals on GET /v1/evidence/{hash}, and its spot-check metrics on /metrics.
/// </summary>
public sealed partial class VerifierHttpEndpoint(string url, ReceiptIntake intake, VerifierLedger ledger, PeerzMeters metrics, ILogger<VerifierHttpEndpoint> logger)
    : IHostedService, IAsyncDisposable
{
    private const int MaxReportBytes = 16 * 1024;
    private WebApplication? _app;

    /// <summary>Where it listens (the port chosen when the URL asked for port 0); set once started.</summary>
    public string Address => _app?.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()
        ?? throw new InvalidOperationException("the HTTP endpoint has not started");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = MaxReportBytes);
        _app = builder.Build();
        _app.MapMetrics(metrics);
        _app.MapGet("/v1/evidence/{hash}", async (string hash, CancellationToken requestAborted) =>
        {
            byte[] evidenceHash;
            try
            {
                evidenceHash = Chain.Primitives.Hex.Decode(hash, 32);
            }
            catch (FormatException)
            {
                return Results.BadRequest(new { error = "the evidence hash must be 32 bytes of hex" });
            }
            return await ledger.EvidenceAsync(evidenceHash, requestAborted) is { } evidence ? Results.Text(evidence, "application/json") : Results.NotFound();
        });
        _app.MapPost("/v1/receipts", TakeReportAsync);
        await _app.StartAsync(cancellationToken);
    }

    private async Task<IResult> TakeReportAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        SignedReceipt receipt;
        try
        {
            // The same report format settlement takes (ReceiptReport in ledger/Peerz.Settlement.Contracts), so clients send one kind.
            var report = JsonSerializer.Deserialize<ReceiptReport>(body, SettlementJson.Options) ?? throw new JsonException("null report");
            var (parsed, signature) = report.Parse();
            receipt = new SignedReceipt(parsed, signature);
        }
        catch (Exception e) when (e is JsonException or IntakeException)
        {
            return Results.BadRequest(new { error = e.Message });
        }
        var reporter = request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var result = await intake.SubmitAsync(reporter, receipt, request.HttpContext.RequestAborted);
        LogReport(logger, reporter, receipt.Receipt.Provider.ToString(), receipt.Receipt.Step, result.Status, result.Detail);
        return result.Status switch
        {
            IntakeStatus.Queued or IntakeStatus.NotSampled or IntakeStatus.Duplicate => Results.Accepted(),
            IntakeStatus.Refused => Results.UnprocessableEntity(new { error = result.Detail }),
            IntakeStatus.RateLimited => Results.Json(new { error = result.Detail }, statusCode: StatusCodes.Status429TooManyRequests),
            _ => Results.Json(new { error = result.Detail }, statusCode: StatusCodes.Status503ServiceUnavailable),
        };
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "report from {Reporter}: receipt of {Provider} step {Step}: {Status} ({Detail})")]
    private static partial void LogReport(ILogger logger, string reporter, string provider, ulong step, IntakeStatus status, string detail);
}
