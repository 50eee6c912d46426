using System.Numerics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;

namespace Peerz.Client.Payments;

/// <summary>
/// Follows ProviderRegistry's Jailed and Unjailed events and makes <see cref="ProviderAccounts"/> forget each account
/// they name, so the next request to a jailed provider reads the registry, is refused (<see cref="PaymentException"/>)
/// and is routed elsewhere: a client stops signing vouchers to a provider within about one
/// <see cref="JailWatchOptions.PollInterval"/> of the block that jailed it, instead of after the accounts' cache lifetime
/// (30 s). Vouchers already signed stay redeemable (the escrow has no jail check, so an honest provider whose slash is
/// withdrawn is still paid); this bounds how many are signed after the jailing. A failed poll is logged and retried with
/// back-off from the same block; the cache lifetime still bounds what a watch that cannot read the chain misses.
/// </summary>
public sealed partial class JailWatch(ProviderRegistry registry, ProviderAccounts accounts, JailWatchOptions options, TimeProvider time, ILogger<JailWatch> logger)
    : BackgroundService
{
    private long _lastSeenBlock = -1;

    /// <summary>The last block whose events have been applied (−1 before the first poll); a jailing at or before it is in effect.</summary>
    public long LastSeenBlock => Interlocked.Read(ref _lastSeenBlock);

    /// <summary>Raised after each poll that advanced <see cref="LastSeenBlock"/>.</summary>
    public event Action<long>? Advanced;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        BigInteger? next = null;
        var wait = options.PollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                next = await PollAsync(next, stoppingToken).ConfigureAwait(false);
                wait = options.PollInterval;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogPollFailed(e.Message, wait);
                wait = TimeSpan.FromTicks(Math.Min(options.MaxBackoff.Ticks, wait.Ticks * 2));
            }
            try
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Applies the events of blocks <paramref name="next"/> .. latest (at most a query's worth); returns the next block to read.</summary>
    private async Task<BigInteger> PollAsync(BigInteger? next, CancellationToken cancellationToken)
    {
        var latest = await registry.LatestBlockAsync(cancellationToken).ConfigureAwait(false);
        // The first poll starts at the latest block: accounts resolved from now on read the registry as it is.
        var from = next ?? latest;
        if (from > latest) return from;
        var to = BigInteger.Min(latest, from + options.MaxBlocksPerQuery - 1);
        foreach (var change in await registry.JailChangesAsync(from, to, cancellationToken).ConfigureAwait(false))
        {
            accounts.Forget(change.Provider);
            LogJailChange(change.Provider.ToString(), change.Jailed ? "jailed" : "unjailed", (long)change.Block);
        }
        Interlocked.Exchange(ref _lastSeenBlock, (long)to);
        Advanced?.Invoke((long)to);
        return to + 1;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "provider account {Account} {Change} at block {Block}: its next request reads the registry again")]
    private partial void LogJailChange(string account, string change, long block);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "could not read the registry's jailings ({Error}); retrying in {Wait}")]
    private partial void LogPollFailed(string error, TimeSpan wait);
}
