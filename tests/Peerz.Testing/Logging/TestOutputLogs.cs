using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Peerz.Testing.Logging;

/// <summary>
/// Hosts' log records at <paramref name="minimum"/> and above, written to the test's output, which xunit shows when the
/// test fails: a provider's error behind a client's "no route" is then in the failure report. Records arriving after
/// the test has ended (hosts still shutting down) are dropped.
/// </summary>
public sealed class TestOutputLogs(ITestOutputHelper output, LogLevel minimum = LogLevel.Warning) : ILoggerProvider
{
    /// <summary>A logger factory with only this provider.</summary>
    public static ILoggerFactory Factory(ITestOutputHelper output, LogLevel minimum = LogLevel.Warning) =>
        LoggerFactory.Create(builder => builder.SetMinimumLevel(minimum).AddProvider(new TestOutputLogs(output, minimum)));

    public ILogger CreateLogger(string categoryName) => new OutputLogger(output, categoryName, minimum);

    public void Dispose()
    {
    }

    private sealed class OutputLogger(ITestOutputHelper output, string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : $"\n{exception}")}");
            }
            catch (InvalidOperationException)
            {
                // The test has ended; its output is closed.
            }
        }
    }
}
