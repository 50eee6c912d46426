using System.Text.Json.Nodes;
using Peerz.Testing.Processes;

namespace Peerz.Testing;

/// <summary>Runs a JavaScript file with the repository's Node 22 (node_modules/.bin/node, from `npm ci`), bounded in time.</summary>
public static class NodeScript
{
    /// <summary>node_modules/.bin: Node 22 and the npm tools (hardhat) that need it first on the PATH.</summary>
    public static string NodeBin => Path.Combine(RepositoryRoot.Path, "node_modules", ".bin");

    public static string NodePath => Path.Combine(NodeBin, "node");

    /// <summary>A helper script of a test project: tests/<paramref name="testProject"/>/js/<paramref name="fileName"/>.</summary>
    public static string TestScript(string testProject, string fileName) => Path.Combine(RepositoryRoot.Path, "tests", testProject, "js", fileName);

    public static Task<ProcessResult> RunAsync(string script, IEnumerable<string> arguments, TimeSpan timeout, string? stdin = null) =>
        ProcessRun.RunAsync(StartInfo(script, arguments), timeout, stdin);

    /// <summary>Runs a script that reads one JSON request on stdin and prints one JSON answer; a failed run throws with its stderr.</summary>
    public static async Task<JsonNode> RequestAsync(string script, JsonNode request, TimeSpan? timeout = null)
    {
        var result = await RunAsync(script, [], timeout ?? TimeSpan.FromSeconds(120), request.ToJsonString());
        if (result.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(script)} exited with {result.ExitCode}: {result.Error}");
        return JsonNode.Parse(result.Output) ?? throw new InvalidOperationException($"{Path.GetFileName(script)} printed no JSON");
    }

    /// <summary>Start info for a script that stays running (a reference peer driven over stdin and stdout).</summary>
    public static System.Diagnostics.ProcessStartInfo StartInfo(string script, IEnumerable<string> arguments)
    {
        if (!File.Exists(NodePath)) throw new InvalidOperationException($"{NodePath} is missing: run `npm ci` at the repository root.");
        return ProcessRun.StartInfo(NodePath, [script, .. arguments], ToolPath(), RepositoryRoot.Path);
    }

    /// <summary>PATH with node_modules/.bin first, so tools a script or Hardhat starts run under Node 22 as well.</summary>
    public static IReadOnlyDictionary<string, string> ToolPath() =>
        new Dictionary<string, string> { ["PATH"] = NodeBin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH") };
}
