using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Peerz.Discovery;
using Peerz.Hosting;
using Peerz.Hosting.Metrics;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Node.Metrics;
using Peerz.Node.Payments;
using Peerz.Node.Serving;
using Peerz.Node.Swarm;
using Peerz.P2P;
using Peerz.Provider.Status;

namespace Peerz.Provider;

/// <summary>
/// Checks the on-chain registration (when paid), loads the span (choosing it from the swarm when only a size
/// was given), measures throughput, then serves and announces it until the host stops; stopping announces
/// the provider offline and redeems the vouchers held. A provider that chose its span also rebalances:
/// it moves when the swarm changes (SpanRebalancer).
/// </summary>
public sealed class ProviderService(ProviderSettings settings, ServingMetrics metrics, PaymentMetrics paymentMetrics, ReachabilityMetrics reachabilityMetrics,
    ProviderStatusSource status, ILoggerFactory loggerFactory) : IHostedService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<ProviderService>();
    private readonly CancellationTokenSource _stop = new();
    private Checkpoint? _checkpoint;
    private ProviderNode? _node;
    private Task? _rebalancing;
    private ProviderAccountSession? _account;
    private Task? _maintenance;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Fault is { } fault)
            _logger.LogWarning("{Variable} is set: answering {Percent:F1}% of responses WRONG on purpose (chaos testing); verifiers will slash this provider",
                WrongOutputFault.RateVariable, fault.Rate * 100);
        var identity = LoadIdentity(settings.IdentityFile);
        ProviderPayments? payments = null;
        if (settings.Payments is { } paid)
        {
            _account = await ProviderAccountSession.OpenAsync(paid, loggerFactory, cancellationToken);
            var chain = _account.Chain;
            await new ProviderRegistration(chain.Registry, chain.Token, chain.Deployment.ChainId, loggerFactory.CreateLogger<ProviderRegistration>())
                .EnsureAsync(_account.Key, identity.PeerId, settings.PricePerToken, paid.AddStake, cancellationToken);
            status.OnChain(chain.Registry, _account.Key.Address);
            var options = new ProviderPaymentOptions
            {
                ChainId = chain.Deployment.ChainId,
                Registry = chain.Deployment.Registry,
                Escrow = chain.Deployment.Escrow,
                Account = _account.Key.Address,
                Signer = _account.Key,
                PricePerToken = settings.PricePerToken,
                PayloadRetention = paid.PayloadRetention,
            };
            PaymentMaintenance.EnsureRedeemsInTime(paid.RedeemInterval, options.BalanceCacheTtl, await chain.Escrow.WithdrawalDelayAsync(cancellationToken));
            var allowances = new EscrowAllowances(chain.Escrow, _account.Key.Address, options.BalanceCacheTtl, TimeProvider.System);
            payments = new ProviderPayments(options, _account.Ledger, allowances, TimeProvider.System, loggerFactory.CreateLogger<ProviderPayments>(), paymentMetrics);
            _maintenance = new PaymentMaintenance(payments, _account.Redeemer, paid.RedeemInterval, loggerFactory.CreateLogger<PaymentMaintenance>()).RunAsync(_stop.Token);
        }
        _checkpoint = Checkpoint.Open(settings.ModelDirectory);
        var (start, end) = settings.Blocks ?? await ChooseSpanAsync(_checkpoint.Config.NumLayers, cancellationToken);
        var served = LoadSpan(start, end);
        _node = new ProviderNode(served, new ProviderNodeOptions
        {
            Identity = identity,
            ListenAddresses = settings.Listen,
            Bootstrap = settings.Bootstrap,
            PricePerToken = settings.PricePerToken.ToString(),
            Payments = payments,
            Push = settings.Push,
            Verifiers = _account is null ? null : new VerifierRoles(_account.Chain.Registry, TimeSpan.FromMinutes(1), TimeProvider.System),
            Nat = new NatTraversalOptions { RelayService = settings.RelayService, AnnounceAddresses = settings.AnnounceAddresses },
        }, loggerFactory);
        reachabilityMetrics.Track(_node.Nat);
        await _node.StartAsync(cancellationToken);
        status.Serving(_node.Describe, identity.PeerId.ToString());
        // One line on stdout for scripts: the address others bootstrap from, and the span served.
        Console.WriteLine($"ready {string.Join(" ", _node.ListenAddresses)} blocks {start}:{end}");
        if (settings.Blocks is null && settings.RebalancePeriod > TimeSpan.Zero)
        {
            var rebalancer = new SpanRebalancer(_node, (s, e, ct) => Task.Run(() => LoadSpan(s, e), ct), settings.RebalancePeriod,
                loggerFactory.CreateLogger<SpanRebalancer>(), new Random());
            rebalancer.Moved += move => Console.WriteLine($"moved blocks {move.From}:{move.From + move.Size} -> {move.To}:{move.To + move.Size}");
            _rebalancing = rebalancer.RunAsync(_stop.Token);
        }
    }

    private ServedSpan LoadSpan(int start, int end)
    {
        _logger.LogInformation("loading blocks [{Start}, {End}) of {Model} ({DType}, {Quant})", start, end, settings.ModelId, settings.LoadOptions.DType, settings.LoadOptions.Quantization);
        var blocks = BlockSpan.Load(_checkpoint!, start, end, settings.LoadOptions, new ConsoleProgress("loading blocks", end - start));
        var served = new ServedSpan(settings.ModelId, blocks, settings.Limits, metrics, settings.Fault);
        var throughput = served.MeasureThroughput();
        _logger.LogInformation("throughput {Throughput:F1} tokens/s through {Blocks} blocks", throughput, end - start);
        return served;
    }

    private async Task<(int, int)> ChooseSpanAsync(int numLayers, CancellationToken cancellationToken)
    {
        var size = Math.Min(settings.NumBlocks, numLayers);
        if (settings.Bootstrap.Count == 0)
        {
            _logger.LogInformation("no swarm to join: serving the first {Size} blocks", size);
            return (0, size);
        }
        await using var swarm = new SwarmClient(settings.Bootstrap, loggerFactory);
        await swarm.StartAsync(cancellationToken);
        var providers = await swarm.GetProvidersAsync(settings.ModelId, cancellationToken);
        var perBlock = SpanSelector.ThroughputPerBlock(numLayers, providers.Select(p => (p.Start, p.End, p.Throughput)));
        var start = SpanSelector.ChooseStart(perBlock, size);
        _logger.LogInformation("the swarm has {Count} providers; the weakest {Size} blocks start at {Start}", providers.Count, size, start);
        return (start, start + size);
    }

    private Identity LoadIdentity(string path)
    {
        if (File.Exists(path)) return Identity.Load(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var identity = Identity.Generate();
        identity.Save(path);
        _logger.LogInformation("created identity {Peer} in {Path}", identity.PeerId, path);
        return identity;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        if (_rebalancing is not null) await _rebalancing;
        if (_node is not null)
        {
            await _node.DisposeAsync();
            _node.Served.Dispose();
        }
        if (_maintenance is not null) await _maintenance;
        if (_account is not null)
        {
            try
            {
                await _account.Redeemer.RedeemAllAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogWarning(e, "could not redeem on shutdown ({Error}); run `peerz-provider redeem` later", e.Message);
            }
            _account.Dispose();
        }
        _checkpoint?.Dispose();
        _stop.Dispose();
    }
}
