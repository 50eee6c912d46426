using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Peerz.Client.Payments;
using Peerz.Client.Routing;
using Peerz.Client.Swarm;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Metrics;
using Peerz.Hosting.Wallets;
using Peerz.Ledger.Payments;
using Peerz.Model.Checkpoints;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Http;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Service;

/// <summary>
/// Runs the verifier: joins the swarm as a client, takes receipt reports on POST /v1/receipts (sampled at the
/// configured rate, checked in the background through a bounded queue), and probes random providers as an
/// unannounced paying client on an interval.
/// </summary>
public static class VerifierHost
{
    private const int QueueCapacity = 4096;
    private const int MaxReportBytes = 16 * 1024;

    /// <summary>A reported receipt waiting to be sampled: the provider's staking account and its signed receipt.</summary>
    private sealed record PendingReport(Chain.Crypto.Address Provider, SignedReceipt Receipt);

    public static async Task RunAsync(VerifierSettings settings, LogLevel logLevel, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel).AddFilter("Microsoft", LogLevel.Warning));
        var logger = loggerFactory.CreateLogger("peerz-verifier");
        var key = WalletLoader.ForConsole().Load(settings.Keystore, settings.PasswordFile);
        using var chain = await ChainConnection.ConnectAsync(settings.Chain, key, cancellationToken);
        await using var swarm = new SwarmClient(settings.Bootstrap, loggerFactory);
        await swarm.StartAsync(cancellationToken);
        using var checkpoint = Checkpoint.Open(settings.ModelDirectory);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        var verifier = new ReceiptVerifier(settings.ModelId, recomputer, new PayloadClient(swarm, 256 << 20, TimeSpan.FromSeconds(30)), new VerificationTolerances(),
            TensorLimits.Default, chain.Deployment.ChainId, chain.Registry);
        var ledger = await VerifierLedger.OpenAsync(settings.LedgerPath, cancellationToken);
        var service = new VerifierService(verifier, ledger, chain.Registry, chain.Deployment.ChainId, settings.SampleRate, new Random(), loggerFactory.CreateLogger<VerifierService>());
        var metrics = new MetricsRegistry();
        var verifications = new VerificationMetrics(metrics);
        service.Checked += (report, outcome) =>
        {
            logger.LogInformation("checked {Provider}: {Verdict} ({Detail})", report.Provider.PeerId, outcome.Verdict, outcome.Detail);
            verifications.Record(outcome.Verdict switch
            {
                VerificationVerdict.Honest => "ok",
                VerificationVerdict.Mismatch => "mismatch",
                VerificationVerdict.MissingPayload => "missing_payload",
                _ => "bad_signature",
            });
        };

        if (settings.SettlementUrl is { } settlementUrl)
        {
            // Verification work is a rewarded role: every judged receipt is reported, signed by this verifier.
            var settlement = new SettlementClient(new HttpClient(), settlementUrl);
            service.Checked += (report, outcome) =>
            {
                if (outcome.Verdict == VerificationVerdict.NotEvidence) return;
                var digest = report.Receipt.Receipt.Digest(chain.Deployment.ChainId, chain.Deployment.Registry);
                _ = ReportVerificationAsync(settlement, key, digest, chain.Deployment, logger);
            };
        }

        var reports = Channel.CreateBounded<PendingReport>(new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest });
        await using var web = await StartHttpAsync(settings.HttpUrl, reports.Writer, metrics, cancellationToken);
        var url = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"ready {url} verifier {key.Address}");

        var checking = CheckReportsAsync(reports.Reader, swarm, service, settings.ModelId, logger, cancellationToken);
        var probing = settings.ProbeInterval > TimeSpan.Zero
            ? ProbeAsync(await OpenProberAsync(settings, chain, key, swarm, service, checkpoint.Config.HiddenSize, loggerFactory, cancellationToken), settings.ProbeInterval, logger, cancellationToken)
            : Task.CompletedTask;
        try
        {
            await Task.WhenAll(checking, probing);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("stopping");
        }
    }

    private static async Task ReportVerificationAsync(SettlementClient settlement, Chain.Crypto.EthKey key, byte[] digest, Chain.Contracts.PeerzDeployment deployment, ILogger logger)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await settlement.ReportVerificationAsync(key, digest, (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), deployment, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or SettlementException)
        {
            logger.LogInformation("settlement did not take a verification report: {Error}", e.Message);
        }
    }

    private static async Task<WebApplication> StartHttpAsync(string url, ChannelWriter<PendingReport> reports, MetricsRegistry metrics, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = MaxReportBytes);
        var app = builder.Build();
        app.MapGet("/metrics", () => Results.Text(metrics.Export(), TextFormat.ContentType));
        app.MapPost("/v1/receipts", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
            try
            {
                // The same report format settlement takes (ledger/Peerz.Settlement ReceiptReport), so clients send one kind.
                var report = JsonSerializer.Deserialize<ReceiptReport>(body, SettlementJson.Options) ?? throw new JsonException("null report");
                var (receipt, signature) = report.Parse();
                var provider = receipt.Provider;
                reports.TryWrite(new PendingReport(provider, new SignedReceipt(receipt, signature)));
                return Results.Accepted();
            }
            catch (Exception e) when (e is JsonException or IntakeException)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });
        await app.StartAsync(cancellationToken);
        return app;
    }

    private static async Task CheckReportsAsync(ChannelReader<PendingReport> reports, IProviderDirectory directory, VerifierService service, string modelId, ILogger logger,
        CancellationToken cancellationToken)
    {
        await foreach (var report in reports.ReadAllAsync(cancellationToken))
        {
            try
            {
                var account = report.Provider.ToString();
                var provider = (await directory.GetProvidersAsync(modelId, cancellationToken)).FirstOrDefault(p => string.Equals(p.Account, account, StringComparison.OrdinalIgnoreCase));
                if (provider is null)
                {
                    logger.LogInformation("reported provider {Account} is not in the swarm; receipt skipped", account);
                    continue;
                }
                await service.ConsiderAsync(new ReportedReceipt(provider, report.Receipt), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("checking a reported receipt failed: {Error}", e.Message);
            }
        }
    }

    private static async Task<Prober> OpenProberAsync(VerifierSettings settings, ChainConnection chain, Chain.Crypto.EthKey key, SwarmClient swarm, VerifierService service,
        int hiddenSize, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var ledger = await ClientLedger.OpenAsync(settings.ClientLedgerPath, chain.Deployment.Escrow, cancellationToken);
        var options = new ClientPaymentOptions { Client = key, ChainId = chain.Deployment.ChainId, Escrow = chain.Deployment.Escrow, Registry = chain.Deployment.Registry };
        var payments = new ClientPayments(options, ledger, new ProviderAccounts(chain.Registry, TimeSpan.FromSeconds(30), TimeProvider.System), TimeProvider.System,
            loggerFactory.CreateLogger<ClientPayments>());
        return new Prober(swarm, swarm, payments, service, settings.ModelId, hiddenSize, new Random(), loggerFactory.CreateLogger<Prober>());
    }

    private static async Task ProbeAsync(Prober prober, TimeSpan interval, ILogger logger, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(interval, cancellationToken);
            try
            {
                var result = await prober.ProbeOnceAsync(cancellationToken);
                logger.LogDebug("probe: {Detail}", result.Detail);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("probe failed: {Error}", e.Message);
            }
        }
    }
}
