using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Peerz.Verifier.Hosting;

/// <summary>Sampled sessions are checked once quiet: looks for due ones every second (the quiet period is in seconds).</summary>
public sealed partial class QuietSessionReleaseService(ICheckQueue queue, TimeProvider time, ILogger<QuietSessionReleaseService> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var released = queue.ReleaseDue();
            if (released > 0) LogReleased(logger, released);
        }
    }

    [LoggerMessage(EventId = 2111, Level = LogLevel.Debug, Message = "{Count} quiet sampled sessions queued for checking")]
    private static partial void LogReleased(ILogger logger, int count);
}
