using System.ComponentModel;
using Peerz.Testing.Processes;

namespace Peerz.Testing.Network;

/// <summary>Runs the system tools that build the lab (ip, iptables, sysctl) and fails loudly with their output.</summary>
internal static class LabCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="fileName"/> and returns its stdout; throws with stderr when it exits non-zero.</summary>
    public static string Run(string fileName, params string[] arguments)
    {
        var (exitCode, output, error) = TryRun(fileName, arguments);
        return exitCode == 0 ? output : throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} failed ({exitCode}): {error.Trim()}");
    }

    /// <summary>Runs <paramref name="fileName"/> in namespace <paramref name="ns"/>.</summary>
    public static string RunIn(string ns, string fileName, params string[] arguments) => Run("ip", ["netns", "exec", ns, fileName, .. arguments]);

    /// <summary>Runs <paramref name="fileName"/> to its end; a missing tool is exit code 127 and a hung one 124, as in a shell.</summary>
    public static ProcessResult TryRun(string fileName, params string[] arguments)
    {
        try
        {
            // Synchronous: the lab is built from constructors and Dispose.
            return ProcessRun.RunAsync(fileName, arguments, Timeout).GetAwaiter().GetResult();
        }
        catch (Win32Exception e)
        {
            return new ProcessResult(127, "", $"{fileName}: {e.Message}");
        }
        catch (TimeoutException e)
        {
            return new ProcessResult(124, "", e.Message);
        }
    }
}
