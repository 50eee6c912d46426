using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Peerz.Model.Tokenization;

/// <summary>
/// Learns a small byte-level BPE vocabulary (Llama 3 layout: split regex, byte alphabet, BOS
/// template) and writes it as a tokenizer.json. Deterministic: the most frequent pair wins, ties go
/// to the ordinally smallest pair. Used for the embedded tiny model.
/// </summary>
public static class ByteLevelBpeTrainer
{
    public const string BeginOfText = "<|begin_of_text|>";
    public const string EndOfText = "<|end_of_text|>";

    /// <summary>Llama 3's pre-tokenization pattern.</summary>
    public const string SplitPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Writes tokenizer.json with <paramref name="vocabSize"/> ids: 256 bytes, learned merges, then BOS and EOS.</summary>
    public static (int Bos, int Eos) Write(string path, int vocabSize, string corpus)
    {
        if (vocabSize < 258) throw new ArgumentOutOfRangeException(nameof(vocabSize), "a byte-level vocabulary needs at least 258 ids (256 bytes, BOS, EOS)");
        var vocab = Enumerable.Range(0, 256).ToDictionary(b => ByteLevelAlphabet.ForByte((byte)b).ToString(), b => b, StringComparer.Ordinal);
        var merges = Learn(corpus, vocabSize - 258, vocab);
        int bos = vocabSize - 2, eos = vocabSize - 1;

        var vocabJson = new JsonObject();
        foreach (var (token, id) in vocab.OrderBy(p => p.Value)) vocabJson[token] = id;
        JsonObject Added(string content, int id) => new() { ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Added(BeginOfText, bos), Added(EndOfText, eos)),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = SplitPattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = BeginOfText, ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = BeginOfText, ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }),
                ["special_tokens"] = new JsonObject
                {
                    [BeginOfText] = new JsonObject { ["id"] = BeginOfText, ["ids"] = new JsonArray(bos), ["tokens"] = new JsonArray(BeginOfText) },
                },
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocabJson,
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode)$"{m.Left} {m.Right}").ToArray()),
            },
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(path)!, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = BeginOfText,
            ["eos_token"] = EndOfText,
            ["model_max_length"] = 2048,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return (bos, eos);
    }

    private static List<(string Left, string Right)> Learn(string corpus, int mergeCount, Dictionary<string, int> vocab)
    {
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match match in Regex.Matches(corpus, SplitPattern))
        {
            var word = ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(match.Value));
            words[word] = words.GetValueOrDefault(word) + 1;
        }
        var split = words.Select(w => (Symbols: w.Key.Select(c => c.ToString()).ToList(), Count: w.Value)).ToList();
        var merges = new List<(string, string)>();
        while (merges.Count < mergeCount)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in split)
                for (var i = 0; i < symbols.Count - 1; i++)
                    pairs[(symbols[i], symbols[i + 1])] = pairs.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (pairs.Count == 0) break;
            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1, StringComparer.Ordinal).ThenBy(p => p.Key.Item2, StringComparer.Ordinal).First().Key;
            merges.Add(best);
            vocab[best.Item1 + best.Item2] = vocab.Count;
            foreach (var (symbols, _) in split)
            {
                for (var i = 0; i < symbols.Count - 1; i++)
                {
                    if (symbols[i] != best.Item1 || symbols[i + 1] != best.Item2) continue;
                    symbols[i] += symbols[i + 1];
                    symbols.RemoveAt(i + 1);
                }
            }
        }
        return merges;
    }
}
