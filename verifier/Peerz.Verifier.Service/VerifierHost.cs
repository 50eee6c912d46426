using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Rpc;
using Peerz.Discovery;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Metrics;
using Peerz.Hosting.Wallets;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Http;
using Peerz.Verifier.Probing;
using Peerz.Verifier.Providers;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Slashing;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Service;

/// <summary>
/// Runs the verifier: joins the swarm as a client, takes receipt reports on POST /v1/receipts (rate-limited per
/// reporter, signature-checked, sampled once per session, the latest receipt of a sampled session checked in the background once the session is quiet), asks
/// again for payloads that could not be fetched, serves the evidence records behind its slash proposals
/// (GET /v1/evidence/{hash}), and probes providers as an unannounced paying client on an interval.
/// </summary>
public static class VerifierHost
{
    private const int QueueCapacity = 4096;
    private const int MaxReportBytes = 16 * 1024;
    private const long MaxSessionBytes = 256L << 20;
    private static readonly TimeSpan ProviderCacheTtl = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan PayloadTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RecomputeTimeout = TimeSpan.FromMinutes(2);

    public static async Task RunAsync(VerifierSettings settings, LogLevel logLevel, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel).AddFilter("Microsoft", LogLevel.Warning));
        var logger = loggerFactory.CreateLogger("peerz-verifier");
        var key = WalletLoader.ForConsole().Load(settings.Keystore, settings.PasswordFile);
        using var chain = await ChainConnection.ConnectAsync(settings.Chain, key, cancellationToken);
        await using var swarm = new SwarmClient(settings.Bootstrap, loggerFactory);
        await swarm.StartAsync(cancellationToken);
        using var checkpoint = Checkpoint.Open(settings.ModelDirectory);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default, settings.MaxRecomputeTokens);
        using var head = ClientHead.Load(checkpoint);
        var (chainId, registry, time) = (chain.Deployment.ChainId, chain.Deployment.Registry, TimeProvider.System);
        // One sender for every transaction of this key (slash proposals, probe funding), so nonces never collide.
        var sender = new TransactionSender(chain.Rpc, key);
        var registryContract = new ProviderRegistry(chain.Rpc, registry, sender);
        var owners = new SignerOwners(registryContract, ProviderCacheTtl, time);
        var providers = new ProviderResolver(registryContract, swarm, swarm, settings.ModelId, ProviderCacheTtl, time, loggerFactory.CreateLogger<ProviderResolver>());
        var verifier = new ReceiptVerifier(settings.ModelId, recomputer, new PayloadClient(swarm, key, chainId, registry, MaxSessionBytes, PayloadTimeout, time),
            new VerificationTolerances(), TensorLimits.Default, owners, chainId, registry, RecomputeTimeout, time);
        var ledger = await VerifierLedger.OpenAsync(settings.LedgerPath, cancellationToken);
        var service = new VerifierService(verifier, providers, ledger, new SlashProposer(registryContract, ledger, time, loggerFactory.CreateLogger<SlashProposer>()),
            settings.Unavailability, settings.ModelId, key.Address, chainId, registry, time, loggerFactory.CreateLogger<VerifierService>());
        var intake = new ReceiptIntake(verifier, providers, new SamplingDecision(await ledger.SamplingSecretAsync(cancellationToken), settings.SampleRate, settings.DesignCheatRate),
            new ReporterRateLimit(settings.ReportsPerMinute, settings.ReportsPerMinute, time), ledger,
            await PendingSessions.OpenAsync(ledger, settings.SessionQuiet, QueueCapacity, time, cancellationToken), chainId, registry);
        var traffic = new TrafficShapes();
        intake.Evidence += traffic.Observe;
        // The verifier's /metrics (on its --http listener) lists its spot checks only.
        await using var metrics = new ServiceCollection().AddMetricsExporter().AddSingleton<VerificationMetrics>().BuildServiceProvider();
        var verifications = metrics.GetRequiredService<VerificationMetrics>();
        service.Checked += (receipt, outcome) =>
        {
            logger.LogInformation("checked {Provider}: {Verdict} ({Detail})", receipt.Receipt.Provider, outcome.Verdict, outcome.Detail);
            verifications.Record(outcome.Verdict switch
            {
                VerificationVerdict.Honest => "ok",
                VerificationVerdict.Mismatch => "mismatch",
                VerificationVerdict.MissingPayload => "missing_payload",
                VerificationVerdict.NotCheckable => "not_checkable",
                VerificationVerdict.Error => "error",
                _ => "bad_signature",
            });
        };

        var settlement = settings.SettlementUrl is { } settlementUrl ? new SettlementClient(new HttpClient(), settlementUrl) : null;
        if (settlement is not null)
        {
            // Verification work is a rewarded role: every judged receipt is reported, signed by this verifier.
            service.Checked += (receipt, outcome) =>
            {
                if (outcome.Verdict is VerificationVerdict.NotEvidence or VerificationVerdict.NotCheckable or VerificationVerdict.Error) return;
                _ = ReportVerificationAsync(settlement, key, receipt.Receipt.Digest(chainId, registry), chain.Deployment, logger);
            };
        }

        await using var web = await StartHttpAsync(settings.HttpUrl, intake, ledger, metrics.GetRequiredService<PeerzMeters>(), cancellationToken);
        var url = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"ready {url} verifier {key.Address}");

        var releasing = ReleaseQuietSessionsAsync(intake, logger, cancellationToken);
        var checking = CheckReportsAsync(intake, service, logger, cancellationToken);
        var retrying = RetryAsync(service, settings.Unavailability, logger, cancellationToken);
        var probing = settings.ProbeInterval > TimeSpan.Zero
            ? ProbeAsync(new Prober(swarm, swarm, new ProbeWallets(chain.Rpc, chain.Deployment, sender, ProbeFunding.Default with { ProbesPerKey = settings.ProbesPerKey },
                settings.ProbeDirectory, time, loggerFactory), traffic, head, service, settings.ModelId, new Random(), loggerFactory, settlement is null ? [] : [settlement]),
                settings.ProbeInterval, logger, cancellationToken)
            : Task.CompletedTask;
        try
        {
            await Task.WhenAll(releasing, checking, retrying, probing);
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

    private static async Task<WebApplication> StartHttpAsync(string url, ReceiptIntake intake, VerifierLedger ledger, PeerzMeters metrics, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = MaxReportBytes);
        var app = builder.Build();
        app.MapMetrics(metrics);
        app.MapGet("/v1/evidence/{hash}", async (string hash, CancellationToken requestAborted) =>
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
        app.MapPost("/v1/receipts", async (HttpRequest request) =>
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
            return result.Status switch
            {
                IntakeStatus.Queued or IntakeStatus.NotSampled or IntakeStatus.Duplicate => Results.Accepted(),
                IntakeStatus.Refused => Results.UnprocessableEntity(new { error = result.Detail }),
                IntakeStatus.RateLimited => Results.Json(new { error = result.Detail }, statusCode: StatusCodes.Status429TooManyRequests),
                _ => Results.Json(new { error = result.Detail }, statusCode: StatusCodes.Status503ServiceUnavailable),
            };
        });
        await app.StartAsync(cancellationToken);
        return app;
    }

    private static async Task CheckReportsAsync(ReceiptIntake intake, VerifierService service, ILogger logger, CancellationToken cancellationToken)
    {
        await foreach (var receipt in intake.Queue.ReadAllAsync(cancellationToken))
        {
            try
            {
                await service.CheckAsync(receipt, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The ledger itself failed (the service records every verdict, errors included); keep taking reports.
                logger.LogError(e, "recording a check failed");
            }
            try
            {
                await intake.DequeuedAsync(receipt, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "recording a checked session failed");
            }
        }
    }

    /// <summary>Sampled sessions are checked once quiet: look for due ones every second (the quiet period is in seconds).</summary>
    private static async Task ReleaseQuietSessionsAsync(ReceiptIntake intake, ILogger logger, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var released = intake.ReleaseDue();
            if (released > 0) logger.LogDebug("{Count} quiet sampled sessions queued for checking", released);
        }
    }

    private static async Task RetryAsync(VerifierService service, UnavailabilityPolicy policy, ILogger logger, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromTicks(Math.Min(policy.Spacing.Ticks, TimeSpan.FromMinutes(1).Ticks));
        while (true)
        {
            await Task.Delay(interval, cancellationToken);
            try
            {
                var retried = await service.RetryDueAsync(cancellationToken);
                if (retried > 0) logger.LogInformation("asked again for {Count} unavailable payloads", retried);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "retrying unavailable payloads failed");
            }
        }
    }

    private static async Task ProbeAsync(Prober prober, TimeSpan interval, ILogger logger, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(interval, cancellationToken);
            try
            {
                var result = await prober.ProbeOnceAsync(cancellationToken);
                logger.LogInformation("probe: {Detail}; {Verdicts}", result.Detail, string.Join(", ", result.Checks.Select(c => c.Outcome?.Verdict.ToString() ?? "already judged")));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("probe failed: {Error}", e.Message);
            }
        }
    }
}
