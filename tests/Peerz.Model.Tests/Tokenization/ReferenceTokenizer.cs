using System.Diagnostics;
using System.Text.Json;

namespace Peerz.Model.Tests.Tokenization;

/// <summary>
/// Runs the independent reference, @lenml/tokenizers (a JavaScript port of transformers.js,
/// installed by npm ci), through tests/Peerz.Model.Tests/js/encode.mjs on Node from node_modules.
/// </summary>
public static class ReferenceTokenizer
{
    public static (int[][] Ids, string[] Decoded) Encode(string tokenizerJson, string? tokenizerConfig, IReadOnlyList<string> texts)
    {
        var root = RepositoryRoot.Path;
        var start = new ProcessStartInfo(Path.Combine(root, "node_modules", ".bin", "node"), [Path.Combine(root, "tests", "Peerz.Model.Tests", "js", "encode.mjs")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(JsonSerializer.Serialize(new { tokenizer = tokenizerJson, config = tokenizerConfig, texts }));
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the reference tokenizer did not finish in 60 s");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"reference tokenizer failed: {error.Result[^Math.Min(2000, error.Result.Length)..]}");
        using var document = JsonDocument.Parse(output.Result);
        var ids = document.RootElement.GetProperty("ids").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        var decoded = document.RootElement.GetProperty("decoded").EnumerateArray().Select(v => v.GetString()!).ToArray();
        return (ids, decoded);
    }
}
