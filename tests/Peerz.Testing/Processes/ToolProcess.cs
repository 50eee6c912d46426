using System.Diagnostics;

namespace Peerz.Testing.Processes;

/// <summary>
/// Runs an executable of the repository (peerz, peerz-settle) that a project reference copied into the calling test
/// project's output, as a real process.
/// </summary>
public static class ToolProcess
{
    public static ProcessStartInfo StartInfo(string tool, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRun.StartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, tool + ".dll"), .. arguments], environment);

    public static Task<ProcessResult> RunAsync(string tool, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null, TimeSpan? timeout = null) =>
        ProcessRun.RunAsync(StartInfo(tool, arguments, environment), timeout ?? TimeSpan.FromSeconds(120), stdin);
}
