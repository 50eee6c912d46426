using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Peerz.Verifier.Probing;

namespace Peerz.Verifier.Hosting;

/// <summary>Probes the swarm as an unannounced paying client every interval; a failed probe is logged and the next one runs.</summary>
public sealed partial class ProbingService(Prober prober, TimeSpan interval, TimeProvider time, ILogger<ProbingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            await Task.Delay(interval, time, stoppingToken);
            try
            {
                var result = await prober.ProbeOnceAsync(stoppingToken);
                LogProbed(logger, result.Detail, string.Join(", ", result.Checks.Select(c => c.Outcome?.Verdict.ToString() ?? "already judged")));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogProbeFailed(logger, e, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 2131, Level = LogLevel.Information, Message = "probe: {Detail}; {Verdicts}")]
    private static partial void LogProbed(ILogger logger, string detail, string verdicts);

    [LoggerMessage(EventId = 2132, Level = LogLevel.Warning, Message = "probe failed: {Error}")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception, string error);
}
