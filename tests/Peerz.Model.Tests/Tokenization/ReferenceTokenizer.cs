using System.Diagnostics;
using System.Text.Json;

namespace Peerz.Model.Tests.Tokenization;

/// <summary>
/// Runs tests/Peerz.Model.Tests/js/tokenizer-reference.mjs under the repository's Node 22
/// (node_modules/.bin/node): @lenml/tokenizers 3.7.2, a JavaScript port of transformers.js,
/// written independently of our C# tokenizer.
/// </summary>
public static class ReferenceTokenizer
{
    public sealed record Result(int[][] Ids, int[][] IdsNoSpecial, string[] Decoded, int VocabSize);

    public static string RepositoryRoot { get; } = FindRoot();

    public static string LenmlModel(string package, string file) =>
        Path.Combine(RepositoryRoot, "node_modules", "@lenml", package, "models", file);

    public static Result Run(string tokenizerJson, string? tokenizerConfig, IReadOnlyList<string> texts, IReadOnlyList<int[]>? decode = null)
    {
        var node = Path.Combine(RepositoryRoot, "node_modules", ".bin", "node");
        Assert.True(File.Exists(node), $"{node} is missing: run `npm ci` at the repository root");
        var script = Path.Combine(RepositoryRoot, "tests", "Peerz.Model.Tests", "js", "tokenizer-reference.mjs");
        var start = new ProcessStartInfo(node, [script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot,
        };
        using var process = Process.Start(start)!;
        var request = JsonSerializer.Serialize(new { tokenizer = tokenizerJson, config = tokenizerConfig, texts, decode = decode ?? [] });
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(request);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the reference tokenizer did not finish within 2 minutes");
        }
        Assert.True(process.ExitCode == 0, $"reference tokenizer failed: {stderr.Result[^Math.Min(2000, stderr.Result.Length)..]}");
        using var document = JsonDocument.Parse(stdout.Result);
        var root = document.RootElement;
        int[][] Rows(string name) => root.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        return new Result(Rows("ids"), Rows("idsNoSpecial"),
            root.GetProperty("decoded").EnumerateArray().Select(v => v.GetString()!).ToArray(),
            root.GetProperty("vocabSize").GetInt32());
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Peerz.sln"))) return dir.FullName;
        throw new InvalidOperationException("Peerz.sln not found above " + AppContext.BaseDirectory);
    }
}
