using Microsoft.Extensions.Logging;
using Peerz.P2P;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Epochs;
using Peerz.Settlement.Forwarding;
using Peerz.Settlement.Http;
using Peerz.Settlement.Storage;
using Peerz.Settlement.Uptime;

namespace Peerz.Settlement;

/// <summary>
/// The running settlement: the HTTP API taking reports, the forwarder passing accepted receipts to verifiers, the
/// uptime monitor, and a loop that closes every ended epoch in order once its close delay has passed (first
/// finishing any close a previous run left unfinished).
/// </summary>
public sealed class SettlementService : IAsyncDisposable
{
    private readonly SettlementChain _chain;
    private readonly SettlementOptions _options;
    private readonly SettlementHttpServer _http;
    private readonly Libp2pHost? _host;
    private readonly UptimeMonitor? _uptime;
    private readonly ReceiptForwarder _forwarder;
    private readonly HttpClient _forwardHttp;
    private readonly ILogger _logger;

    private SettlementService(
        SettlementChain chain, SettlementOptions options, SettlementStore store, EpochCloser closer, SettlementHttpServer http, Libp2pHost? host, UptimeMonitor? uptime,
        ReceiptForwarder forwarder, HttpClient forwardHttp, ILogger logger)
    {
        _forwarder = forwarder;
        _forwardHttp = forwardHttp;
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
        // Receipts of an ended epoch are taken until its close; a delay of an epoch or more would leave two epochs open.
        if (options.CloseDelay < TimeSpan.Zero || options.CloseDelay.TotalSeconds >= chain.Clock.EpochLength)
            throw new ArgumentException($"the close delay must be at least 0 and shorter than an epoch ({chain.Clock.EpochLength} s)", nameof(options));
        var store = await SettlementStore.OpenAsync(options.StoreLocation, cancellationToken).ConfigureAwait(false);
        var closer = new EpochCloser(chain, store, options, loggerFactory.CreateLogger<EpochCloser>()) { AfterPostRootSent = afterPostRootSent };
        var forwardHttp = new HttpClient { Timeout = options.ForwardTimeout };
        var forwarder = new ReceiptForwarder(forwardHttp, options, loggerFactory.CreateLogger<ReceiptForwarder>());
        var intake = new ContributionIntake(chain, store, options, forwarder, loggerFactory.CreateLogger<ContributionIntake>());
        Libp2pHost? host = null;
        UptimeMonitor? uptime = null;
        if (options.BootstrapPeers.Count > 0)
        {
            host = new Libp2pHost(new Libp2pHostOptions(), loggerFactory);
            uptime = new UptimeMonitor(host, chain, store, options, TimeProvider.System, loggerFactory.CreateLogger<UptimeMonitor>());
        }

        var http = await SettlementHttpServer.StartAsync(intake, store, options, loggerFactory, cancellationToken).ConfigureAwait(false);
        return new SettlementService(chain, options, store, closer, http, host, uptime, forwarder, forwardHttp, loggerFactory.CreateLogger<SettlementService>());
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

    /// <summary>Finishes unfinished closes, then closes every epoch not yet posted whose end plus the close delay has passed; returns the epochs handled.</summary>
    public async Task<IReadOnlyList<long>> CloseDueEpochsAsync(CancellationToken cancellationToken)
    {
        var handled = new List<long>();
        foreach (var epoch in await Store.UnfinishedEpochsAsync(cancellationToken).ConfigureAwait(false))
        {
            await Closer.CloseAsync(epoch, cancellationToken).ConfigureAwait(false);
            handled.Add(epoch);
        }

        var now = await _chain.Rpc.BlockTimestampAsync(null, cancellationToken).ConfigureAwait(false);
        for (var epoch = (long)await _chain.Rewards.NextEpochToPostAsync(cancellationToken).ConfigureAwait(false); Closer.ClosableAt(epoch) <= now; epoch++)
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
        await _forwarder.DisposeAsync().ConfigureAwait(false);
        _forwardHttp.Dispose();
        if (_host is not null) await _host.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
    }
}
