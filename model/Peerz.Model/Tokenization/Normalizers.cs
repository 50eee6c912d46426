using System.Text;
using System.Text.Json;

namespace Peerz.Model.Tokenization;

/// <summary>The "normalizer" stage of tokenizer.json, applied to each piece of text between added tokens.</summary>
internal static class Normalizers
{
    public static Func<string, string> Create(JsonElement stage)
    {
        if (Json.IsNone(stage)) return static text => text;
        var type = Json.Type(stage, "normalizer");
        switch (type)
        {
            case "Sequence":
                var steps = Json.Array(stage, "normalizers", "Sequence normalizer").Select(Create).ToArray();
                return text =>
                {
                    foreach (var step in steps) text = step(text);
                    return text;
                };
            case "Prepend":
                var prefix = Json.String(stage, "prepend", "Prepend normalizer");
                return text => text.Length == 0 ? text : prefix + text;
            case "Replace":
                var pattern = Json.Pattern(stage, "Replace normalizer");
                var content = Json.String(stage, "content", "Replace normalizer");
                return text => pattern.Replace(text, content);
            case "NFC": return static text => text.Normalize(NormalizationForm.FormC);
            case "NFD": return static text => text.Normalize(NormalizationForm.FormD);
            case "NFKC": return static text => text.Normalize(NormalizationForm.FormKC);
            case "NFKD": return static text => text.Normalize(NormalizationForm.FormKD);
            case "Lowercase": return static text => text.ToLowerInvariant();
            default:
                throw new TokenizerException($"normalizer type '{type}' is not supported");
        }
    }
}
