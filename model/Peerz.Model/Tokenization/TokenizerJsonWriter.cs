using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Peerz.Model.Tokenization;

/// <summary>What <see cref="TokenizerJsonWriter"/> produced: the tokenizer.json bytes and the ids a model config needs.</summary>
public sealed record TokenizerJsonFile(byte[] Json, int VocabSize, int BosTokenId, int EosTokenId, int MergeCount);

/// <summary>
/// Writes small but real tokenizer.json files for generated models: Llama 3's layout (its split regex,
/// byte-level BPE with ignore_merges, a BOS template, a ByteLevel decoder) with a vocabulary learned
/// here, deterministically, from an embedded English text. Any loader of Hugging Face tokenizers
/// reads the result.
/// </summary>
public static class TokenizerJsonWriter
{
    public const int MinimumVocabSize = 258;
    public const int MaximumVocabSize = 1 << 18;
    public const string BeginOfText = "<|begin_of_text|>";
    public const string EndOfText = "<|end_of_text|>";

    /// <summary>Llama 3's pre-tokenizer regex.</summary>
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>
    /// A byte-level BPE tokenizer with exactly <paramref name="vocabSize"/> ids: the 256 bytes (ids 0–255),
    /// merges learned from <paramref name="trainingText"/> (default: the embedded text), &lt;|begin_of_text|&gt; and
    /// &lt;|end_of_text|&gt;, and, when the text has no more pairs to merge, reserved special tokens up to the requested size.
    /// </summary>
    public static TokenizerJsonFile BuildByteLevelBpe(int vocabSize, string? trainingText = null)
    {
        if (vocabSize is < MinimumVocabSize or > MaximumVocabSize)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"vocabulary size must be between {MinimumVocabSize} and {MaximumVocabSize}");
        var vocab = new List<string>(vocabSize);
        for (var b = 0; b < 256; b++) vocab.Add(ByteLevelAlphabet.ToChar((byte)b).ToString());
        var merges = ByteLevelBpeTrainer.Learn(trainingText ?? TinyTrainingText.Text, new OnigurumaPattern(Llama3Pattern), vocabSize - MinimumVocabSize);
        vocab.AddRange(merges.Select(m => m.Left + m.Right));
        var bos = vocab.Count;
        var specials = new List<string> { BeginOfText, EndOfText };
        for (var i = 0; vocab.Count + specials.Count < vocabSize; i++) specials.Add($"<|reserved_special_token_{i}|>");

        var model = new JsonObject
        {
            ["type"] = "BPE",
            ["dropout"] = null,
            ["unk_token"] = null,
            ["continuing_subword_prefix"] = null,
            ["end_of_word_suffix"] = null,
            ["fuse_unk"] = false,
            ["byte_fallback"] = false,
            ["ignore_merges"] = true,
            ["vocab"] = new JsonObject(vocab.Select((token, id) => KeyValuePair.Create(token, (JsonNode?)id))),
            ["merges"] = new JsonArray(merges.Select(m => (JsonNode)new JsonArray(m.Left, m.Right)).ToArray()),
        };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(specials.Select((content, i) => (JsonNode)new JsonObject
            {
                ["id"] = bos + i,
                ["content"] = content,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            }).ToArray()),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Llama3Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(SpecialItem(BeginOfText), SequenceItem("A")),
                ["pair"] = new JsonArray(SpecialItem(BeginOfText), SequenceItem("A"), SpecialItem(BeginOfText), SequenceItem("B")),
                ["special_tokens"] = new JsonObject
                {
                    [BeginOfText] = new JsonObject { ["id"] = BeginOfText, ["ids"] = new JsonArray(bos), ["tokens"] = new JsonArray(BeginOfText) },
                },
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = model,
        };
        var json = Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return new TokenizerJsonFile(json, vocabSize, bos, bos + 1, merges.Count);
    }

    /// <summary>Writes <see cref="BuildByteLevelBpe"/>'s file to <paramref name="path"/>.</summary>
    public static TokenizerJsonFile WriteByteLevelBpe(string path, int vocabSize, string? trainingText = null)
    {
        var file = BuildByteLevelBpe(vocabSize, trainingText);
        File.WriteAllBytes(path, file.Json);
        return file;
    }

    private static JsonObject SpecialItem(string id) => new() { ["SpecialToken"] = new JsonObject { ["id"] = id, ["type_id"] = 0 } };

    private static JsonObject SequenceItem(string id) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = 0 } };
}
