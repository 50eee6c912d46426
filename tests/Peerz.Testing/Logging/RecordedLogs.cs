using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Peerz.Testing.Logging;

/// <summary>
/// An <see cref="ILoggerFactory"/> for a host under test whose records Microsoft's <see cref="FakeLogCollector"/> keeps
/// (every level), so a test can check that bad input was logged, or wait until it is: hosts log from their own tasks.
/// </summary>
public sealed class RecordedLogs : ILoggerFactory
{
    private readonly LoggerFactory _factory;

    public RecordedLogs() => _factory = new LoggerFactory([new FakeLoggerProvider(Collector)], new LoggerFilterOptions { MinLevel = LogLevel.Trace });

    public FakeLogCollector Collector { get; } = new();

    /// <summary>Every record so far as "Level Category: message".</summary>
    public IReadOnlyList<string> Lines => [.. Collector.GetSnapshot().Select(r => $"{r.Level} {r.Category}: {r.Message}")];

    public ILogger CreateLogger(string categoryName) => _factory.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => _factory.AddProvider(provider);

    /// <summary>Waits, at most <paramref name="timeout"/>, for a record whose line contains <paramref name="fragment"/> (any case).</summary>
    public async Task WaitForLineAsync(string fragment, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Lines.Any(l => l.Contains(fragment, StringComparison.OrdinalIgnoreCase)))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no log line containing '{fragment}'; got:\n{string.Join('\n', Lines)}");
            await Task.Delay(20);
        }
    }

    public void Dispose() => _factory.Dispose();
}
