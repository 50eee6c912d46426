using System.Diagnostics;

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

    public static (int ExitCode, string Output, string Error) TryRun(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {fileName}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, "", $"{fileName}: {e.Message}");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                return (124, "", $"{fileName} did not finish within {Timeout.TotalSeconds:F0} s");
            }
            return (process.ExitCode, output.Result, error.Result);
        }
    }
}
