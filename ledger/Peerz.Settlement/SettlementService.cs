using Microsoft.Extensions.Logging;
using Peerz.P2P;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Epochs;
using Peerz.Settlement.Http;
using Peerz.Settlement.Storage;
using Peerz.Settlement.Uptime;

namespace Peerz.Settlement;

/// <summary>
/// The running settlement: the HTTP API taking reports, the uptime monitor, and a loop that closes every ended
/// epoch in order (first finishing any close a previous run left unfinished).
/// </summary>
public sealed class SettlementService : IAsyncDisposable
{
    private readonly SettlementChain _chain;
    private readonly SettlementOptions _options;
    private readonly SettlementHttpServer _http;
    private readonly Libp2pHost? _host;
    private readonly UptimeMonitor? _uptime;
    private readonly ILogger _logger;

    private SettlementService(SettlementChain chain, SettlementOptions options, SettlementStore store, EpochCloser closer, SettlementHttpServer http, Libp2pHost? host, UptimeMonitor? uptime, ILogger logger)
    {
        _chain = chain;
        _options = options;
        Store = store;
        Closer = closer;
        _http = http;
        _host = host;
        _uptime = uptime;
        _logger = logger;
    }

    public SettlementStore Store { get; }

    public EpochCloser Closer { get; }

    public Uri Address => _http.Address;

    /// <param name="afterPostRootSent">crash-test hook, see <see cref="EpochCloser.AfterPostRootSent"/></param>
    public static async Task<SettlementService> StartAsync(SettlementChain chain, SettlementOptions options, ILoggerFactory loggerFactory, Action? afterPostRootSent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var store = await SettlementStore.OpenAsync(options.DatabasePath, cancellationToken).ConfigureAwait(false);
        var closer = new EpochCloser(chain, store, options.ProofsDirectory, loggerFactory.CreateLogger<EpochCloser>()) { AfterPostRootSent = afterPostRootSent };
        var intake = new ContributionIntake(chain, store, loggerFactory.CreateLogger<ContributionIntake>());
        Libp2pHost? host = null;
        UptimeMonitor? uptime = null;
        if (options.BootstrapPeers.Count > 0)
        {
            host = new Libp2pHost(new Libp2pHostOptions(), loggerFactory);
            uptime = new UptimeMonitor(host, chain, store, options, TimeProvider.System, loggerFactory.CreateLogger<UptimeMonitor>());
        }

        var http = await SettlementHttpServer.StartAsync(intake, store, options, loggerFactory, cancellationToken).ConfigureAwait(false);
        return new SettlementService(chain, options, store, closer, http, host, uptime, loggerFactory.CreateLogger<SettlementService>());
    }

    /// <summary>Samples uptime and closes ended epochs until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var uptime = _uptime?.RunAsync(cancellationToken) ?? Task.CompletedTask;
        using var timer = new PeriodicTimer(_options.PollInterval);
        try
        {
            do
            {
                try
                {
                    await CloseDueEpochsAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is Peerz.Chain.Rpc.RpcException or TimeoutException or HttpRequestException)
                {
                    _logger.LogWarning("Closing epochs failed, retrying next round: {Reason}", e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            await uptime.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Finishes unfinished closes, then closes every ended epoch not yet posted; returns the epochs handled.</summary>
    public async Task<IReadOnlyList<long>> CloseDueEpochsAsync(CancellationToken cancellationToken)
    {
        var handled = new List<long>();
        foreach (var epoch in await Store.UnfinishedEpochsAsync(cancellationToken).ConfigureAwait(false))
        {
            await Closer.CloseAsync(epoch, cancellationToken).ConfigureAwait(false);
            handled.Add(epoch);
        }

        var current = await _chain.CurrentEpochAsync(cancellationToken).ConfigureAwait(false);
        for (var epoch = (long)await _chain.Rewards.NextEpochToPostAsync(cancellationToken).ConfigureAwait(false); epoch < current; epoch++)
        {
            await Closer.CloseAsync(epoch, cancellationToken).ConfigureAwait(false);
            handled.Add(epoch);
        }

        return handled;
    }

    /// <summary>One uptime round now (also run on the interval by <see cref="RunAsync"/>); 0 without bootstrap peers.</summary>
    public Task<int> SampleUptimeAsync(CancellationToken cancellationToken) => _uptime?.SampleOnceAsync(cancellationToken) ?? Task.FromResult(0);

    public async ValueTask DisposeAsync()
    {
        await _http.DisposeAsync().ConfigureAwait(false);
        if (_host is not null) await _host.DisposeAsync().ConfigureAwait(false);
    }
}
