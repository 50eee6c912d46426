using System.Text;
using System.Text.Json;

namespace Peerz.Model.Tokenization;

/// <summary>
/// The "decoder" stage of tokenizer.json, as tokenizers' decode_chain: each decoder maps the list of
/// token strings to a new list; the results are concatenated at the end.
/// </summary>
internal static class Decoders
{
    public static Func<List<string>, List<string>> Create(JsonElement stage, IReadOnlySet<string> addedTokens)
    {
        if (Json.IsNone(stage))
            // Without a decoder, tokenizers joins tokens with spaces.
            return static tokens => [string.Join(' ', tokens)];
        var type = Json.Type(stage, "decoder");
        switch (type)
        {
            case "Sequence":
                var steps = Json.Array(stage, "decoders", "Sequence decoder").Select(s => Create(s, addedTokens)).ToArray();
                return tokens =>
                {
                    foreach (var step in steps) tokens = step(tokens);
                    return tokens;
                };
            case "Replace":
                var pattern = Json.Pattern(stage, "Replace decoder");
                var content = Json.String(stage, "content", "Replace decoder");
                return tokens => tokens.ConvertAll(t => pattern.Replace(t, content));
            case "ByteFallback":
                return ByteFallback;
            case "Fuse":
                return static tokens => [string.Concat(tokens)];
            case "Strip":
                var strip = Json.String(stage, "content", "Strip decoder");
                if (strip.Length != 1) throw new TokenizerException("Strip decoder: \"content\" must be one character");
                var start = Json.Int(stage, "start", "Strip decoder");
                var stop = Json.Int(stage, "stop", "Strip decoder");
                return tokens => tokens.ConvertAll(t => Strip(t, strip[0], start, stop));
            case "ByteLevel":
                return tokens => ByteLevel(tokens, addedTokens);
            default:
                throw new TokenizerException($"decoder type '{type}' is not supported");
        }
    }

    /// <summary>Runs of &lt;0xNN&gt; tokens become their UTF-8 text; invalid runs one U+FFFD per byte, as tokenizers does.</summary>
    private static List<string> ByteFallback(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (var token in tokens)
        {
            if (BpeModel.TryParseByteToken(token, out var value))
            {
                pending.Add(value);
                continue;
            }
            FlushBytes(pending, result);
            result.Add(token);
        }
        FlushBytes(pending, result);
        return result;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static void FlushBytes(List<byte> pending, List<string> result)
    {
        if (pending.Count == 0) return;
        try
        {
            result.Add(StrictUtf8.GetString(pending.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            for (var i = 0; i < pending.Count; i++) result.Add("\uFFFD");
        }
        pending.Clear();
    }

    private static string Strip(string token, char content, int start, int stop)
    {
        var from = 0;
        while (from < start && from < token.Length && token[from] == content) from++;
        var to = token.Length;
        while (token.Length - to < stop && to > from && token[to - 1] == content) to--;
        return token[from..to];
    }

    /// <summary>
    /// Byte-level tokens back to bytes, then UTF-8 with U+FFFD for invalid sequences. Added tokens are
    /// kept verbatim, as transformers does, so their text is never reinterpreted as bytes.
    /// </summary>
    private static List<string> ByteLevel(List<string> tokens, IReadOnlySet<string> addedTokens)
    {
        var result = new List<string>();
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            if (addedTokens.Contains(token))
            {
                if (bytes.Count > 0) result.Add(Encoding.UTF8.GetString(bytes.ToArray()));
                bytes.Clear();
                result.Add(token);
                continue;
            }
            var start = bytes.Count;
            var mapped = true;
            foreach (var c in token)
            {
                if (!ByteLevelAlphabet.TryGetByte(c, out var value))
                {
                    mapped = false;
                    break;
                }
                bytes.Add(value);
            }
            if (!mapped)
            {
                // A token outside the byte alphabet stands for its own UTF-8 bytes (tokenizers' fallback).
                bytes.RemoveRange(start, bytes.Count - start);
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }
        if (bytes.Count > 0) result.Add(Encoding.UTF8.GetString(bytes.ToArray()));
        return result;
    }
}
