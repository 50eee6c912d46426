using System.Diagnostics;
using Peerz.Testing.Processes;

namespace Peerz.Settlement.Tests.Support;

/// <summary>Runs the peerz and peerz-settle executables built into this test project's output, as real processes.</summary>
public static class ToolProcess
{
    public static ProcessStartInfo StartInfo(string tool, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRun.StartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, tool + ".dll"), .. arguments], environment);

    public static Task<ProcessResult> RunAsync(string tool, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null, TimeSpan? timeout = null) =>
        ProcessRun.RunAsync(StartInfo(tool, arguments, environment), timeout ?? TimeSpan.FromSeconds(120), stdin);
}
