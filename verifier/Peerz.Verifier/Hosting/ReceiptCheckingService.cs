using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Peerz.Verifier.Hosting;

/// <summary>Checks the receipts of sampled sessions as they come off the queue, one at a time; a failure to record one never stops the next.</summary>
public sealed partial class ReceiptCheckingService(ICheckQueue queue, IReceiptChecker checker, ILogger<ReceiptCheckingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var receipt in queue.Queue.ReadAllAsync(stoppingToken))
        {
            try
            {
                await checker.CheckAsync(receipt, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The ledger itself failed (the checker records every verdict, errors included); keep taking reports.
                LogCheckFailed(logger, e);
            }
            try
            {
                await queue.DequeuedAsync(receipt, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogDequeueFailed(logger, e);
            }
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Error, Message = "recording a check failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "recording a checked session failed")]
    private static partial void LogDequeueFailed(ILogger logger, Exception exception);
}
