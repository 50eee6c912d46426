using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Peerz.Settlement.Storage;

namespace Peerz.Settlement.Hosting;

/// <summary>
/// peerz-settle as a hosted service: connects to the chain, refuses a close delay of an epoch or more, starts
/// <see cref="SettlementService"/> (its API listening once start-up returns), prints the "API on" line scripts wait for,
/// then samples uptime and closes ended epochs until the host stops. The store is consistent after every step, so stopping
/// anywhere is safe.
/// </summary>
public sealed partial class SettlementHostedService(IOptions<SettlementOptions> options, ISettlementChainConnector connector, ILoggerFactory loggerFactory,
    SettlementHooks? hooks = null) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<SettlementHostedService>();
    private SettlementService? _service;

    /// <summary>The running service, once started (tests read its address and store).</summary>
    public SettlementService Service => _service ?? throw new InvalidOperationException("settlement has not started");

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var chain = await connector.ConnectAsync(cancellationToken);
        if (settings.CloseDelay.TotalSeconds >= chain.Clock.EpochLength)
            throw new OptionsValidationException(Options.DefaultName, typeof(SettlementOptions), [$"--close-delay must be shorter than an epoch ({chain.Clock.EpochLength} s)"]);
        _service = await SettlementService.StartAsync(chain, settings, loggerFactory, hooks?.AfterPostRootSent, cancellationToken);
        var account = chain.Sender?.Address.ToString() ?? "none (read-only)";
        Console.WriteLine($"peerz-settle: account {account}, API on {_service.Address}, data in {settings.DataDirectory}, store {StoreLocation.Describe(settings.StoreLocation)}");
        LogStarted(_logger, _service.Address, chain.Clock.EpochLength);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Service.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the store is consistent after every step.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_service is not null) await _service.DisposeAsync();
        _service = null;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "settlement API on {Address}; epochs of {EpochLength} s")]
    private static partial void LogStarted(ILogger logger, Uri address, ulong epochLength);
}
