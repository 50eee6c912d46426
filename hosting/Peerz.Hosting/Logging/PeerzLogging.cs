using Microsoft.Extensions.Logging;

namespace Peerz.Hosting.Logging;

/// <summary>
/// The one logging setup of every Peerz process: single-line console logs, at <c>quiet</c> level (Information unless a
/// command is quieter) or Debug with --verbose, and Microsoft's own categories (Kestrel, the host's lifetime messages) at
/// Warning so they do not drown ours. Services log to stdout beside their "ready" lines; the CLI logs to stderr, since
/// its stdout carries results (generated text).
/// </summary>
public static class PeerzLogging
{
    public static ILoggingBuilder AddPeerzConsole(this ILoggingBuilder logging, bool verbose, LogLevel quiet = LogLevel.Information, bool toStandardError = false)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders();
        logging.AddSimpleConsole(o => o.SingleLine = true);
        if (toStandardError) logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(verbose ? LogLevel.Debug : quiet);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        return logging;
    }

    /// <summary>The same setup for code that runs without a host (the CLI's commands), logging to stderr.</summary>
    public static ILoggerFactory CreateFactory(bool verbose, LogLevel quiet = LogLevel.Information) =>
        LoggerFactory.Create(b => b.AddPeerzConsole(verbose, quiet, toStandardError: true));
}
