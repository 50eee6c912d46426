using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using Peerz.Discovery;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Metrics;
using Peerz.Hosting.Wallets;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Protocol.Tensors;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Http;
using Peerz.Verifier.Probing;
using Peerz.Verifier.Providers;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Slashing;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Hosting;

/// <summary>
/// Runs the verifier: joins the swarm as a client, opens the model, chain and ledger in order, starts the HTTP endpoint
/// (<see cref="VerifierHttpEndpoint"/>), prints the "ready URL verifier ACCOUNT" line, then runs its loops as hosted
/// services: quiet-session release, the checking queue, the unavailable-payload retry and (when an interval is set) probing.
/// The resources are opened here rather than by the container because opening them is asynchronous and ordered
/// (the wallet first, then the chain, the swarm, the model and the ledger); stopping stops the loops and closes them in reverse.
/// </summary>
public sealed partial class VerifierHostedService(IOptions<VerifierOptions> options, VerificationMetrics verifications, PeerzMeters meters, TimeProvider time,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private const int QueueCapacity = 4096;
    private const long MaxSessionBytes = 256L << 20;
    private static readonly TimeSpan ProviderCacheTtl = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan PayloadTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RecomputeTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan SettlementReportTimeout = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger = loggerFactory.CreateLogger("peerz-verifier");
    // Everything opened, closed in reverse on stop; the loops and the endpoint, stopped in reverse before that.
    private readonly Stack<object> _opened = new();
    private readonly List<IHostedService> _running = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var key = WalletLoader.ForConsole().Load(settings.Keystore, settings.PasswordFile);
        var chain = Open(await ChainConnection.ConnectAsync(settings.Chain!, key, cancellationToken));
        var swarm = Open(new SwarmClient(settings.Bootstrap, loggerFactory));
        await swarm.StartAsync(cancellationToken);
        var checkpoint = Open(Checkpoint.Open(settings.ModelDirectory));
        var recomputer = Open(new SpanRecomputer(checkpoint, TensorLimits.Default, settings.MaxRecomputeTokens));
        var head = Open(ClientHead.Load(checkpoint));
        var (chainId, registry) = (chain.Deployment.ChainId, chain.Deployment.Registry);
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
        service.Checked += (receipt, outcome) =>
        {
            LogChecked(_logger, receipt.Receipt.Provider.ToString(), outcome.Verdict, outcome.Detail);
            verifications.Record(MetricResult(outcome.Verdict));
        };
        var settlement = settings.SettlementUrl is { } settlementUrl ? new SettlementClient(Open(new HttpClient()), settlementUrl) : null;
        if (settlement is not null)
        {
            // Verification work is a rewarded role: every judged receipt is reported, signed by this verifier.
            service.Checked += (receipt, outcome) =>
            {
                if (outcome.Verdict is VerificationVerdict.NotEvidence or VerificationVerdict.NotCheckable or VerificationVerdict.Error) return;
                _ = ReportVerificationAsync(settlement, key, receipt.Receipt.Digest(chainId, registry), chain.Deployment);
            };
        }

        var web = new VerifierHttpEndpoint(settings.HttpUrl, intake, ledger, meters, loggerFactory.CreateLogger<VerifierHttpEndpoint>());
        await StartAsync(web, cancellationToken);
        Console.WriteLine($"ready {web.Address} verifier {key.Address}");

        await StartAsync(new QuietSessionReleaseService(intake, time, loggerFactory.CreateLogger<QuietSessionReleaseService>()), cancellationToken);
        await StartAsync(new ReceiptCheckingService(intake, service, loggerFactory.CreateLogger<ReceiptCheckingService>()), cancellationToken);
        await StartAsync(new UnavailablePayloadRetryService(service, settings.Unavailability, time, loggerFactory.CreateLogger<UnavailablePayloadRetryService>()), cancellationToken);
        if (settings.ProbeInterval > TimeSpan.Zero)
        {
            var wallets = new ProbeWallets(chain.Rpc, chain.Deployment, sender, ProbeFunding.Default with { ProbesPerKey = settings.ProbesPerKey }, settings.ProbeDirectory, time,
                loggerFactory);
            var prober = new Prober(swarm, swarm, wallets, traffic, head, service, settings.ModelId, new Random(), loggerFactory, settlement is null ? [] : [settlement]);
            await StartAsync(new ProbingService(prober, settings.ProbeInterval, time, loggerFactory.CreateLogger<ProbingService>()), cancellationToken);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        LogStopping(_logger);
        for (var i = _running.Count - 1; i >= 0; i--) await _running[i].StopAsync(cancellationToken);
        _running.Clear();
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        while (_opened.TryPop(out var resource))
        {
            if (resource is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
            else if (resource is IDisposable disposable) disposable.Dispose();
        }
    }

    /// <summary>The verification counter's label for a verdict.</summary>
    public static string MetricResult(VerificationVerdict verdict) => verdict switch
    {
        VerificationVerdict.Honest => "ok",
        VerificationVerdict.Mismatch => "mismatch",
        VerificationVerdict.MissingPayload => "missing_payload",
        VerificationVerdict.NotCheckable => "not_checkable",
        VerificationVerdict.Error => "error",
        _ => "bad_signature",
    };

    private T Open<T>(T resource) where T : class
    {
        _opened.Push(resource);
        return resource;
    }

    private async Task StartAsync(IHostedService part, CancellationToken cancellationToken)
    {
        _running.Add(part);
        if (part is IAsyncDisposable or IDisposable) _opened.Push(part);
        await part.StartAsync(cancellationToken);
    }

    private async Task ReportVerificationAsync(SettlementClient settlement, EthKey key, byte[] digest, PeerzDeployment deployment)
    {
        try
        {
            using var timeout = new CancellationTokenSource(SettlementReportTimeout);
            await settlement.ReportVerificationAsync(key, digest, (ulong)time.GetUtcNow().ToUnixTimeSeconds(), deployment, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or SettlementException)
        {
            LogSettlementRefused(_logger, e.Message);
        }
    }

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "checked {Provider}: {Verdict} ({Detail})")]
    private static partial void LogChecked(ILogger logger, string provider, VerificationVerdict verdict, string detail);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "settlement did not take a verification report: {Error}")]
    private static partial void LogSettlementRefused(ILogger logger, string error);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Information, Message = "stopping")]
    private static partial void LogStopping(ILogger logger);
}
