using System.Text;
using System.Text.Json;
using Peerz.Model.Configuration;

namespace Peerz.Model.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json with a BPE model: the byte-level BPE of Llama 3 and Qwen2 and the
/// SentencePiece-style BPE with byte fallback of Llama 2 and Mistral. Encoding: split out added tokens,
/// then per piece normalizer → pre-tokenizer → BPE, then the post-processor's special tokens.
/// Decoding: ids → token strings → decoder chain. Thread-safe; the BPE cache is bounded.
/// </summary>
public sealed class Tokenizer
{
    public const string ConfigFile = "tokenizer_config.json";

    private static readonly string[] BosNames = ["<|begin_of_text|>", "<s>", "<bos>"];
    private static readonly string[] EosNames = ["<|end_of_text|>", "</s>", "<|endoftext|>", "<eos>"];

    private readonly BpeModel _model;
    private readonly Func<string, string> _normalize;
    private readonly Func<List<string>, List<string>> _preTokenize;
    private readonly Func<List<string>, List<string>> _decode;
    private readonly AddedTokenSplitter _splitter;
    private readonly string?[] _idToToken;
    private readonly bool[] _isSpecial;
    private readonly Dictionary<string, AddedToken> _addedByContent;

    private Tokenizer(BpeModel model, Func<string, string> normalize, Func<List<string>, List<string>> preTokenize,
        Func<List<string>, List<string>> decode, SpecialTokenTemplate template, IReadOnlyList<AddedToken> addedTokens)
    {
        _model = model;
        _normalize = normalize;
        _preTokenize = preTokenize;
        _decode = decode;
        Template = template;
        AddedTokens = addedTokens;
        _splitter = new AddedTokenSplitter(addedTokens);
        _addedByContent = addedTokens.GroupBy(t => t.Content, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var maxId = Math.Max(model.Vocab.Count == 0 ? -1 : model.Vocab.Values.Max(), addedTokens.Count == 0 ? -1 : addedTokens.Max(t => t.Id));
        _idToToken = new string?[maxId + 1];
        _isSpecial = new bool[maxId + 1];
        foreach (var (token, id) in model.Vocab) _idToToken[id] = token;
        foreach (var added in addedTokens)
        {
            _idToToken[added.Id] = added.Content;
            _isSpecial[added.Id] = added.Special;
        }
    }

    /// <summary>Number of ids: one more than the largest id of the vocabulary or the added tokens.</summary>
    public int VocabSize => _idToToken.Length;

    public int? BosTokenId { get; private init; }

    public int? EosTokenId { get; private init; }

    /// <summary>The special ids <see cref="Encode"/> adds around the text when asked to.</summary>
    public SpecialTokenTemplate Template { get; }

    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Loads tokenizer.json, and tokenizer_config.json from the same directory if it exists.</summary>
    public static Tokenizer Load(string path)
    {
        var configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", ConfigFile);
        byte[] json;
        byte[]? config;
        try
        {
            json = File.ReadAllBytes(path);
            config = File.Exists(configPath) ? File.ReadAllBytes(configPath) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"{path}: cannot read: {e.Message}", e);
        }
        return Parse(json, config, path);
    }

    /// <summary>Parses tokenizer.json (and optionally tokenizer_config.json); <paramref name="source"/> names the file in errors.</summary>
    public static Tokenizer Parse(ReadOnlySpan<byte> tokenizerJson, ReadOnlySpan<byte> tokenizerConfigJson = default, string source = "tokenizer.json")
    {
        try
        {
            using var document = JsonDocument.Parse(tokenizerJson.ToArray(), new JsonDocumentOptions { MaxDepth = 64 });
            using var config = tokenizerConfigJson.IsEmpty ? null : JsonDocument.Parse(tokenizerConfigJson.ToArray());
            return Build(document.RootElement, config?.RootElement ?? default);
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{source}: not valid JSON: {e.Message}", e);
        }
        catch (TokenizerException e)
        {
            throw new TokenizerException($"{source}: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // A JSON value of the wrong kind where an object or array belongs.
            throw new TokenizerException($"{source}: unexpected JSON structure: {e.Message}", e);
        }
    }

    private static Tokenizer Build(JsonElement root, JsonElement config)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new TokenizerException("the top level must be an object");
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new TokenizerException("\"model\" is missing");
        var type = Json.OptionalString(model, "type") ?? "BPE";
        if (type != "BPE") throw new TokenizerException($"model type '{type}' is not supported (BPE only)");
        if (Json.OptionalString(model, "continuing_subword_prefix") is not null || Json.OptionalString(model, "end_of_word_suffix") is not null)
            throw new TokenizerException("BPE continuing_subword_prefix / end_of_word_suffix are not supported");
        if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
            throw new TokenizerException("model \"vocab\" must be an object of token → id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
                throw new TokenizerException($"vocab entry '{entry.Name}' has no valid id");
            vocab[entry.Name] = id;
        }
        var merges = Json.Array(model, "merges", "model").Select(ParseMerge).ToList();
        var bpe = new BpeModel(vocab, merges,
            unknownToken: Json.OptionalString(model, "unk_token"),
            byteFallback: Json.Bool(model, "byte_fallback", false),
            fuseUnknown: Json.Bool(model, "fuse_unk", false),
            ignoreMerges: Json.Bool(model, "ignore_merges", false));

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var addedElement) && addedElement.ValueKind == JsonValueKind.Array)
            foreach (var a in addedElement.EnumerateArray())
            {
                var id = Json.Int(a, "id", "added token");
                if (id < 0) throw new TokenizerException($"added token id {id} is negative");
                added.Add(new AddedToken(id, Json.String(a, "content", "added token"), Json.Bool(a, "special", false),
                    Json.Bool(a, "lstrip", false), Json.Bool(a, "rstrip", false)));
            }

        var addedByContent = added.GroupBy(t => t.Content, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Id, StringComparer.Ordinal);
        int? Lookup(string token) => addedByContent.TryGetValue(token, out var a) ? a : vocab.TryGetValue(token, out var v) ? v : null;

        var template = SpecialTokenTemplate.Create(root.TryGetProperty("post_processor", out var post) ? post : default);
        var known = vocab.Values.ToHashSet();
        known.UnionWith(addedByContent.Values);
        foreach (var id in template.Before.Concat(template.After))
            if (!known.Contains(id)) throw new TokenizerException($"post_processor names id {id}, which is not in the vocabulary");
        var bos = ConfigToken(config, "bos_token", Lookup) ?? (template.Before.Length > 0 ? template.Before[0] : FirstKnown(BosNames, Lookup));
        var eos = ConfigToken(config, "eos_token", Lookup) ?? FirstKnown(EosNames, Lookup);
        if (template.IsEmpty)
        {
            // Without a template in tokenizer.json, transformers takes add_bos_token/add_eos_token from the config.
            var before = Json.Bool(config, "add_bos_token", false) && bos is { } b ? new[] { b } : [];
            var after = Json.Bool(config, "add_eos_token", false) && eos is { } e ? new[] { e } : [];
            template = new SpecialTokenTemplate(before, after);
        }
        var addedContents = added.Select(a => a.Content).ToHashSet(StringComparer.Ordinal);
        return new Tokenizer(bpe,
            Normalizers.Create(root.TryGetProperty("normalizer", out var n) ? n : default),
            PreTokenizers.Create(root.TryGetProperty("pre_tokenizer", out var p) ? p : default),
            Decoders.Create(root.TryGetProperty("decoder", out var d) ? d : default, addedContents),
            template, added)
        { BosTokenId = bos, EosTokenId = eos };
    }

    private static int? ConfigToken(JsonElement config, string name, Func<string, int?> lookup)
    {
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty(name, out var value)) return null;
        var content = value.ValueKind == JsonValueKind.String ? value.GetString() : Json.OptionalString(value, "content");
        if (content is null) return null;
        return lookup(content) ?? throw new TokenizerException($"{ConfigFile}: {name} '{content}' is not in the vocabulary");
    }

    private static int? FirstKnown(string[] names, Func<string, int?> lookup) => names.Select(lookup).FirstOrDefault(id => id is not null);

    private static (string, string) ParseMerge(JsonElement merge, int index)
    {
        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
            && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            return (merge[0].GetString()!, merge[1].GetString()!);
        if (merge.ValueKind == JsonValueKind.String)
        {
            var text = merge.GetString()!;
            var parts = text.Split(' ');
            if (parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0) return (parts[0], parts[1]);
            throw new TokenizerException($"merge {index} '{text}' is not two symbols separated by one space");
        }
        throw new TokenizerException($"merge {index} must be \"a b\" or [\"a\", \"b\"]");
    }

    /// <summary>Token ids of <paramref name="text"/>; with <paramref name="addSpecialTokens"/>, the post-processor's (e.g. BOS) too.</summary>
    public int[] Encode(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = ReplaceLoneSurrogates(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(Template.Before);
        foreach (var (segment, added) in _splitter.Split(text))
        {
            if (added is not null)
            {
                ids.Add(added.Id);
                continue;
            }
            var normalized = _normalize(segment);
            if (normalized.Length == 0) continue;
            foreach (var piece in _preTokenize([normalized])) _model.Tokenize(piece, ids);
        }
        if (addSpecialTokens) ids.AddRange(Template.After);
        return ids.ToArray();
    }

    /// <summary>Text of <paramref name="ids"/>. Ids outside the vocabulary are skipped, as tokenizers does.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Length);
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)_idToToken.Length || _idToToken[id] is not { } token) continue;
            if (skipSpecialTokens && _isSpecial[id]) continue;
            tokens.Add(token);
        }
        return tokens.Count == 0 ? "" : string.Concat(_decode(tokens));
    }

    /// <summary>A decoder that turns generated ids into text as soon as it is complete UTF-8.</summary>
    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = true) => new(this, skipSpecialTokens);

    public bool IsSpecial(int id) => (uint)id < (uint)_isSpecial.Length && _isSpecial[id];

    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out var added) ? added.Id
        : _model.Vocab.TryGetValue(token, out var id) ? id
        : null;

    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>Stop ids: config.json's eos_token_id if set, else this tokenizer's EOS.</summary>
    public IReadOnlySet<int> EndOfSequenceIds(ModelConfig config) =>
        config.EosTokenIds.Count > 0 ? config.EosTokenIds.ToHashSet()
        : EosTokenId is { } eos ? new HashSet<int> { eos }
        : new HashSet<int>();

    private static string ReplaceLoneSurrogates(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF')) return text;
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes()) builder.Append(rune.ToString());
        return builder.ToString();
    }
}
