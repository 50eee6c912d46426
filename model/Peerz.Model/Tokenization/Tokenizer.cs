using System.Text.Json;
using Peerz.Model.Configuration;

namespace Peerz.Model.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json with a BPE model: byte-level BPE (Llama 3, Qwen2) and
/// SentencePiece-style BPE with byte fallback (Llama 2, Mistral). Encode: split out added tokens,
/// normalize, pre-tokenize, BPE, then the post-processor's special tokens. Decode runs the decoder chain.
/// </summary>
public sealed class Tokenizer
{
    private readonly BpeModel _model;
    private readonly Func<string, string> _normalize;
    private readonly Func<string, IEnumerable<string>> _preTokenize;
    private readonly Func<List<string>, List<string>> _decode;
    private readonly (List<string> Before, List<string> After) _template;
    private readonly List<(string Content, int Id, bool Special)> _addedTokens;
    private readonly Dictionary<int, string> _idToToken;
    private readonly HashSet<int> _specialIds;

    private Tokenizer(BpeModel model, Func<string, string> normalize, Func<string, IEnumerable<string>> preTokenize, Func<List<string>, List<string>> decode,
        (List<string>, List<string>) template, List<(string, int, bool)> addedTokens)
    {
        _model = model;
        _normalize = normalize;
        _preTokenize = preTokenize;
        _decode = decode;
        _template = template;
        // Longest first, so "<|end|>" never shadows "<|end_of_text|>".
        _addedTokens = addedTokens.OrderByDescending(t => t.Item1.Length).ToList();
        _idToToken = model.Vocab.ToDictionary(p => p.Value, p => p.Key);
        foreach (var (content, id, _) in addedTokens) _idToToken[id] = content;
        _specialIds = addedTokens.Where(t => t.Item3).Select(t => t.Item2).ToHashSet();
        VocabSize = _idToToken.Keys.Max() + 1;
    }

    public int VocabSize { get; }

    public static Tokenizer Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"{path}: cannot read: {e.Message}", e);
        }
        try
        {
            return Parse(bytes);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or TokenizerException)
        {
            throw new TokenizerException($"{path}: {e.Message}", e);
        }
    }

    public static Tokenizer Parse(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        // Pipeline stages keep reading their JSON after parsing, so they get a copy that outlives the document.
        var root = document.RootElement.Clone();
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new TokenizerException("'model' is missing");
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : "BPE";
        if (type != "BPE")
            throw new TokenizerException($"model type '{type}' is not supported (BPE only)");
        var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        var merges = model.GetProperty("merges").EnumerateArray().Select(ParseMerge).ToList();
        var bpe = new BpeModel(vocab, merges,
            byteFallback: model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True,
            unknownToken: model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String ? unk.GetString() : null,
            ignoreMerges: model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True,
            fuseUnknown: model.TryGetProperty("fuse_unk", out var fu) && fu.ValueKind == JsonValueKind.True);
        var added = root.TryGetProperty("added_tokens", out var addedElement) && addedElement.ValueKind == JsonValueKind.Array
            ? addedElement.EnumerateArray().Select(a => (a.GetProperty("content").GetString()!, a.GetProperty("id").GetInt32(), a.TryGetProperty("special", out var s) && s.GetBoolean())).ToList()
            : [];
        var tokenizer = new Tokenizer(bpe,
            TokenizerPipeline.Normalizer(Stage(root, "normalizer")),
            TokenizerPipeline.PreTokenizer(Stage(root, "pre_tokenizer")),
            TokenizerPipeline.Decoder(Stage(root, "decoder")),
            TokenizerPipeline.Template(Stage(root, "post_processor")),
            added);
        foreach (var special in tokenizer._template.Before.Concat(tokenizer._template.After))
            tokenizer.TokenId(special);
        return tokenizer;
    }

    public int[] Encode(string text, bool addSpecialTokens)
    {
        var ids = new List<int>();
        if (addSpecialTokens) ids.AddRange(_template.Before.Select(TokenId));
        foreach (var (segment, addedId) in SplitAddedTokens(text))
        {
            if (addedId is { } id)
            {
                ids.Add(id);
                continue;
            }
            foreach (var piece in _preTokenize(_normalize(segment)))
                if (piece.Length > 0) ids.AddRange(_model.Tokenize(piece));
        }
        if (addSpecialTokens) ids.AddRange(_template.After.Select(TokenId));
        return ids.ToArray();
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var tokens = new List<string>();
        foreach (var id in ids)
        {
            if (!_idToToken.TryGetValue(id, out var token))
                throw new TokenizerException($"token id {id} is not in the vocabulary");
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            tokens.Add(token);
        }
        return string.Concat(_decode(tokens));
    }

    public StreamingDecoder CreateStreamingDecoder() => new(this);

    public bool IsSpecial(int id) => _specialIds.Contains(id);

    public int TokenId(string token) =>
        _addedTokens.FirstOrDefault(t => t.Content == token) is { Content: not null } added ? added.Id
        : _model.Vocab.TryGetValue(token, out var id) ? id
        : throw new TokenizerException($"token '{token}' is not in the vocabulary");

    /// <summary>EOS ids from config.json, or else the tokenizer's usual end tokens.</summary>
    public IReadOnlySet<int> EndOfSequenceIds(ModelConfig config)
    {
        if (config.EosTokenIds.Count > 0) return config.EosTokenIds.ToHashSet();
        return new[] { "</s>", "<|end_of_text|>", "<|eot_id|>", "<|endoftext|>", "<|im_end|>" }
            .Where(name => _addedTokens.Any(t => t.Content == name)).Select(TokenId).ToHashSet();
    }

    private IEnumerable<(string Text, int? AddedId)> SplitAddedTokens(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length;)
        {
            var match = _addedTokens.FirstOrDefault(t => string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) == 0 && t.Content.Length > 0);
            if (match.Content is null)
            {
                i++;
                continue;
            }
            if (i > start) yield return (text[start..i], null);
            yield return (match.Content, match.Id);
            i += match.Content.Length;
            start = i;
        }
        if (start < text.Length) yield return (text[start..], null);
    }

    private static (string, string) ParseMerge(JsonElement merge)
    {
        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            return (merge[0].GetString()!, merge[1].GetString()!);
        var text = merge.GetString() ?? "";
        var space = text.IndexOf(' ', 1);
        if (space < 0) throw new TokenizerException($"merge '{text}' is not two symbols");
        return (text[..space], text[(space + 1)..]);
    }

    private static JsonElement Stage(JsonElement root, string name) =>
        root.TryGetProperty(name, out var stage) ? stage : default;

    /// <summary>
    /// Turns a growing list of ids into text as it becomes final: text ending in an incomplete
    /// UTF-8 sequence (U+FFFD) is held back until the next token completes it.
    /// </summary>
    public sealed class StreamingDecoder(Tokenizer tokenizer)
    {
        private readonly List<int> _ids = [];
        private int _emitted;

        public string Add(int id)
        {
            _ids.Add(id);
            var text = tokenizer.Decode(_ids);
            if (text.EndsWith('\uFFFD') || text.Length < _emitted) return "";
            var fresh = text[_emitted..];
            _emitted = text.Length;
            return fresh;
        }

        public string Flush()
        {
            var text = tokenizer.Decode(_ids);
            var fresh = text.Length > _emitted ? text[_emitted..] : "";
            _emitted = text.Length;
            return fresh;
        }
    }
}
