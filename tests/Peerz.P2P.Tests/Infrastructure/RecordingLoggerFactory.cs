using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Peerz.P2P.Tests.Infrastructure;

/// <summary>Keeps every log line so tests can assert that bad input was logged.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public async Task WaitForLineAsync(string fragment, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Lines.Any(l => l.Contains(fragment, StringComparison.OrdinalIgnoreCase)))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no log line containing '{fragment}'; got:\n{string.Join('\n', Lines)}");
            }
            await Task.Delay(20);
        }
    }

    private sealed class Logger(RecordingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
    }
}
