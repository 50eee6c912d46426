using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Peerz.Verifier.Sampling;

namespace Peerz.Verifier.Hosting;

/// <summary>Asks again for payloads that could not be fetched, every spacing (at most a minute apart); a failed round is logged and the next one runs.</summary>
public sealed partial class UnavailablePayloadRetryService(IReceiptChecker checker, UnavailabilityPolicy policy, TimeProvider time, ILogger<UnavailablePayloadRetryService> logger)
    : BackgroundService
{
    private static readonly TimeSpan MaxInterval = TimeSpan.FromMinutes(1);

    /// <summary>How long between two rounds.</summary>
    public TimeSpan Interval { get; } = policy.Spacing < MaxInterval ? policy.Spacing : MaxInterval;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            await Task.Delay(Interval, time, stoppingToken);
            try
            {
                var retried = await checker.RetryDueAsync(stoppingToken);
                if (retried > 0) LogRetried(logger, retried);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRetryFailed(logger, e);
            }
        }
    }

    [LoggerMessage(EventId = 2121, Level = LogLevel.Information, Message = "asked again for {Count} unavailable payloads")]
    private static partial void LogRetried(ILogger logger, int count);

    [LoggerMessage(EventId = 2122, Level = LogLevel.Error, Message = "retrying unavailable payloads failed")]
    private static partial void LogRetryFailed(ILogger logger, Exception exception);
}
