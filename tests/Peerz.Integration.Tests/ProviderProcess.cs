using System.Diagnostics;
using System.Text.RegularExpressions;
using Peerz.P2P;

namespace Peerz.Integration.Tests;

/// <summary>
/// A real `peerz-provider` process (the build output copied beside the tests), started with the
/// given arguments; it is ready once it prints its "ready" line, and is killed on dispose.
/// </summary>
public sealed partial class ProviderProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ProviderProcess(Process process) => _process = process;

    public Multiaddr Address { get; private set; } = null!;

    /// <summary>The --metrics-listen URL as bound (port 0 resolved), from the provider's log.</summary>
    public string? MetricsUrl { get; private set; }

    public static async Task<ProviderProcess> StartAsync(IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "peerz-provider.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var provider = new ProviderProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start peerz-provider"));
        _ = provider.CollectAsync(provider._process.StandardError);
        try
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (await provider._process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                lock (provider._output) provider._output.Add(line);
                if (MetricsLine().Match(line) is { Success: true } metrics) provider.MetricsUrl = metrics.Groups[1].Value;
                if (line.StartsWith("ready ", StringComparison.Ordinal))
                {
                    provider.Address = Multiaddr.Parse(line.Split(' ')[1]);
                    _ = provider.CollectAsync(provider._process.StandardOutput);
                    return provider;
                }
            }
            throw new InvalidOperationException("peerz-provider exited before it was ready:\n" + provider.Output);
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }

    public string Output
    {
        get
        {
            lock (_output) return string.Join('\n', _output);
        }
    }

    private async Task CollectAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
            lock (_output) _output.Add(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"metrics on (http://\S+)")]
    private static partial Regex MetricsLine();
}
