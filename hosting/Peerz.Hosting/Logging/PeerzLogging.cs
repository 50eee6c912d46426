using Microsoft.Extensions.Logging;

namespace Peerz.Hosting.Logging;

/// <summary>
/// The one logging setup of every Peerz process: single-line console logs, Information by default (Debug with
/// --verbose), and Microsoft's own categories (Kestrel, the host's lifetime messages) at Warning so they do not drown ours.
/// </summary>
public static class PeerzLogging
{
    public static ILoggingBuilder AddPeerzConsole(this ILoggingBuilder logging, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders();
        logging.AddSimpleConsole(o => o.SingleLine = true);
        logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        return logging;
    }

    /// <summary>The same setup for code that runs without a host (one-shot commands).</summary>
    public static ILoggerFactory CreateFactory(bool verbose) => LoggerFactory.Create(b => b.AddPeerzConsole(verbose));
}
