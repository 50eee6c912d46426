using System.Text.Json;
using Peerz.Testing;

namespace Peerz.Model.Tests.Tokenization;

/// <summary>
/// Runs tests/Peerz.Model.Tests/js/tokenizer-reference.mjs under the repository's Node 22
/// (node_modules/.bin/node): @lenml/tokenizers 3.7.2, a JavaScript port of transformers.js,
/// written independently of our C# tokenizer.
/// </summary>
public static class ReferenceTokenizer
{
    public sealed record Result(int[][] Ids, int[][] IdsNoSpecial, string[] Decoded, int VocabSize);

    public static string LenmlModel(string package, string file) =>
        Path.Combine(RepositoryRoot.Path, "node_modules", "@lenml", package, "models", file);

    public static Result Run(string tokenizerJson, string? tokenizerConfig, IReadOnlyList<string> texts, IReadOnlyList<int[]>? decode = null)
    {
        var request = JsonSerializer.Serialize(new { tokenizer = tokenizerJson, config = tokenizerConfig, texts, decode = decode ?? [] });
        var run = NodeScript.RunAsync(NodeScript.TestScript("Peerz.Model.Tests", "tokenizer-reference.mjs"), [], TimeSpan.FromMinutes(2), request).GetAwaiter().GetResult();
        Assert.True(run.ExitCode == 0, $"reference tokenizer failed: {run.Error[^Math.Min(2000, run.Error.Length)..]}");
        using var document = JsonDocument.Parse(run.Output);
        var root = document.RootElement;
        int[][] Rows(string name) => root.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        return new Result(Rows("ids"), Rows("idsNoSpecial"),
            root.GetProperty("decoded").EnumerateArray().Select(v => v.GetString()!).ToArray(),
            root.GetProperty("vocabSize").GetInt32());
    }
}
