using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests.Chaos;

/// <summary>
/// One long-running process of the network (a provider, the verifier, settlement, the gateway) that the fault schedule
/// may kill and restart. Each incarnation's output is appended to <c>LOGS/NAME.log</c>, so a failed soak can be read
/// after the processes are gone.
/// </summary>
public sealed class ChaosRole(string name, string logDirectory, Func<int, PeerzProcess> start, Func<string, bool> ready) : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private PeerzProcess? _process;

    public string Name { get; } = name;

    /// <summary>How many times the process was started (1 = never restarted).</summary>
    public int Starts { get; private set; }

    /// <summary>The line that said the current incarnation is ready.</summary>
    public string ReadyLine { get; private set; } = "";

    public bool Running => _process is { HasExited: false };

    /// <summary>Starts the next incarnation (its index is passed to the start function, 0 first) and waits until it is ready.</summary>
    public string Start()
    {
        if (Running) throw new InvalidOperationException($"{Name} is already running");
        _process = start(Starts++);
        ReadyLine = _process.WaitForPrintedLine(ready, "saying it is ready", ReadyTimeout);
        return ReadyLine;
    }

    /// <summary>SIGKILL: no cleanup runs, as in a power cut or an OOM kill.</summary>
    public void Kill() => Stop();

    /// <summary>SIGTERM, then waits (bounded) for the process to finish its shutdown work (providers redeem on the way out).</summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        if (_process is null) return null;
        _process.Terminate();
        try
        {
            return await _process.WaitForExitAsync(timeout);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            Stop();
        }
    }

    private void Stop()
    {
        if (_process is null) return;
        _process.Kill();
        File.AppendAllText(Path.Combine(logDirectory, Name + ".log"), $"==== incarnation {Starts - 1}\n{_process.Output}\n");
        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Stop();
}
