using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Peerz.Model.Tokenization;

/// <summary>
/// The normalizer, pre-tokenizer, post-processor and decoder stages of a tokenizer.json, built
/// from their JSON descriptions. Only what Llama 2/3, Mistral and Qwen2 use is supported; anything
/// else is rejected by name rather than silently mis-tokenized.
/// </summary>
internal static class TokenizerPipeline
{
    public static Func<string, string> Normalizer(JsonElement element)
    {
        if (element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return text => text;
        return Type(element) switch
        {
            "Sequence" => element.GetProperty("normalizers").EnumerateArray().Select(Normalizer).Aggregate((Func<string, string>)(t => t), (a, b) => t => b(a(t))),
            "Prepend" => text => text.Length == 0 ? text : element.GetProperty("prepend").GetString() + text,
            "Replace" => Replace(element),
            "NFC" => text => text.Normalize(NormalizationForm.FormC),
            "NFKC" => text => text.Normalize(NormalizationForm.FormKC),
            var other => throw new TokenizerException($"normalizer '{other}' is not supported"),
        };
    }

    public static Func<string, IEnumerable<string>> PreTokenizer(JsonElement element)
    {
        if (element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return text => [text];
        switch (Type(element))
        {
            case "Sequence":
                var stages = element.GetProperty("pretokenizers").EnumerateArray().Select(PreTokenizer).ToList();
                return text => stages.Aggregate((IEnumerable<string>)[text], (pieces, stage) => pieces.SelectMany(stage));
            case "Split":
                var split = SplitRegex(element.GetProperty("pattern"));
                var behavior = element.GetProperty("behavior").GetString();
                var invert = element.TryGetProperty("invert", out var i) && i.GetBoolean();
                if (behavior != "Isolated" || invert)
                    throw new TokenizerException($"Split pre-tokenizer with behavior '{behavior}'{(invert ? " inverted" : "")} is not supported");
                return text => Isolate(split, text);
            case "ByteLevel":
                var prefix = element.TryGetProperty("add_prefix_space", out var p) && p.GetBoolean();
                var useRegex = !element.TryGetProperty("use_regex", out var r) || r.GetBoolean();
                return text =>
                {
                    if (prefix && !text.StartsWith(' ')) text = " " + text;
                    var pieces = useRegex ? Isolate(Gpt2Pattern, text) : [text];
                    return pieces.Select(piece => ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(piece)));
                };
            case "Metaspace":
                var replacement = element.GetProperty("replacement").GetString()!;
                var scheme = element.TryGetProperty("prepend_scheme", out var s) ? s.GetString() : "always";
                var splitOnSpace = !element.TryGetProperty("split", out var sp) || sp.GetBoolean();
                return text =>
                {
                    var replaced = text.Replace(" ", replacement);
                    if (scheme != "never" && !replaced.StartsWith(replacement)) replaced = replacement + replaced;
                    return splitOnSpace ? Isolate(new Regex($"{Regex.Escape(replacement)}[^{Regex.Escape(replacement)}]*", RegexOptions.Compiled), replaced) : [replaced];
                };
            case var other:
                throw new TokenizerException($"pre-tokenizer '{other}' is not supported");
        }
    }

    /// <summary>Special token contents to put before and after the ids (TemplateProcessing's "single" template).</summary>
    public static (List<string> Before, List<string> After) Template(JsonElement element)
    {
        var before = new List<string>();
        var after = new List<string>();
        if (element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return (before, after);
        switch (Type(element))
        {
            case "Sequence":
                foreach (var processor in element.GetProperty("processors").EnumerateArray())
                {
                    var (b, a) = Template(processor);
                    before.AddRange(b);
                    after.AddRange(a);
                }
                break;
            case "TemplateProcessing":
                var seenSequence = false;
                foreach (var piece in element.GetProperty("single").EnumerateArray())
                {
                    if (piece.TryGetProperty("Sequence", out _)) seenSequence = true;
                    else if (piece.TryGetProperty("SpecialToken", out var special)) (seenSequence ? after : before).Add(special.GetProperty("id").GetString()!);
                }
                break;
            case "ByteLevel":
                break;
            case var other:
                throw new TokenizerException($"post-processor '{other}' is not supported");
        }
        return (before, after);
    }

    public static Func<List<string>, List<string>> Decoder(JsonElement element)
    {
        if (element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return tokens => tokens;
        switch (Type(element))
        {
            case "Sequence":
                var stages = element.GetProperty("decoders").EnumerateArray().Select(Decoder).ToList();
                return tokens => stages.Aggregate(tokens, (current, stage) => stage(current));
            case "ByteLevel":
                return tokens =>
                {
                    var bytes = new List<byte>();
                    foreach (var token in tokens) ByteLevelAlphabet.Decode(token, bytes);
                    return [Encoding.UTF8.GetString(bytes.ToArray())];
                };
            case "Replace":
                var replace = Replace(element);
                return tokens => tokens.Select(replace).ToList();
            case "ByteFallback":
                return ByteFallback;
            case "Fuse":
                return tokens => [string.Concat(tokens)];
            case "Strip":
                var content = element.GetProperty("content").GetString()!;
                var start = element.GetProperty("start").GetInt32();
                var stop = element.GetProperty("stop").GetInt32();
                return tokens => tokens.Select(token => Strip(token, content, start, stop)).ToList();
            case "Metaspace":
                var replacement = element.GetProperty("replacement").GetString()!;
                var scheme = element.TryGetProperty("prepend_scheme", out var s) ? s.GetString() : "always";
                return tokens => tokens.Select((token, index) =>
                {
                    var text = token.Replace(replacement, " ");
                    return index == 0 && scheme != "never" && text.StartsWith(' ') ? text[1..] : text;
                }).ToList();
            case var other:
                throw new TokenizerException($"decoder '{other}' is not supported");
        }
    }

    /// <summary>GPT-2's pre-tokenization pattern (ByteLevel with use_regex).</summary>
    private static readonly Regex Gpt2Pattern = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.Compiled);

    private static IEnumerable<string> Isolate(Regex pattern, string text)
    {
        var at = 0;
        foreach (Match match in pattern.Matches(text))
        {
            if (match.Length == 0) continue;
            if (match.Index > at) yield return text[at..match.Index];
            yield return match.Value;
            at = match.Index + match.Length;
        }
        if (at < text.Length) yield return text[at..];
    }

    private static Regex SplitRegex(JsonElement pattern)
    {
        if (pattern.TryGetProperty("String", out var literal)) return new Regex(Regex.Escape(literal.GetString()!), RegexOptions.Compiled);
        var source = pattern.GetProperty("Regex").GetString()!;
        try
        {
            // Oniguruma's possessive quantifiers (?+, ++, *+) have no .NET syntax; atomic groups mean the same.
            return new Regex(Possessive.Replace(source, m => $"(?>{m.Groups[1].Value}{m.Groups[2].Value})"), RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new TokenizerException($"split pattern cannot be compiled: {e.Message}", e);
        }
    }

    private static readonly Regex Possessive = new(@"(\[[^\]]*\]|\\p\{\w+\}|\\[sSdDwW]|.)([?*+])\+", RegexOptions.Compiled);

    private static Func<string, string> Replace(JsonElement element)
    {
        var pattern = element.GetProperty("pattern");
        var content = element.GetProperty("content").GetString()!;
        if (pattern.TryGetProperty("String", out var literal))
        {
            var from = literal.GetString()!;
            return text => text.Replace(from, content, StringComparison.Ordinal);
        }
        var regex = new Regex(pattern.GetProperty("Regex").GetString()!, RegexOptions.Compiled);
        return text => regex.Replace(text, content);
    }

    private static List<string> ByteFallback(List<string> tokens)
    {
        var output = new List<string>();
        var pending = new List<byte>();
        void FlushBytes()
        {
            if (pending.Count == 0) return;
            var decoded = new UTF8Encoding(false, throwOnInvalidBytes: false).GetString(pending.ToArray());
            // HF emits one replacement character per byte when the bytes are not valid UTF-8.
            output.Add(IsValidUtf8(pending) ? decoded : new string('\uFFFD', pending.Count));
            pending.Clear();
        }
        foreach (var token in tokens)
        {
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token.EndsWith('>') && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
                pending.Add(b);
            else
            {
                FlushBytes();
                output.Add(token);
            }
        }
        FlushBytes();
        return output;
    }

    private static bool IsValidUtf8(List<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes.ToArray());

    private static string Strip(string token, string content, int start, int stop)
    {
        var from = 0;
        while (from < start && token.AsSpan(from).StartsWith(content)) from += content.Length;
        var to = token.Length;
        for (var i = 0; i < stop && to - content.Length >= from && token.AsSpan(0, to).EndsWith(content); i++) to -= content.Length;
        return token[from..to];
    }

    private static string Type(JsonElement element) =>
        element.TryGetProperty("type", out var type) ? type.GetString() ?? "" : throw new TokenizerException("a pipeline stage has no type");
}
