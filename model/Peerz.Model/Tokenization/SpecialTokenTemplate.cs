using System.Text.Json;

namespace Peerz.Model.Tokenization;

/// <summary>
/// The special ids that encoding with special tokens puts around a single sequence: from the
/// "post_processor" (TemplateProcessing, possibly inside a Sequence); ByteLevel post-processing
/// changes no ids.
/// </summary>
public sealed record SpecialTokenTemplate(int[] Before, int[] After)
{
    public static readonly SpecialTokenTemplate None = new([], []);

    public bool IsEmpty => Before.Length == 0 && After.Length == 0;

    internal static SpecialTokenTemplate Create(JsonElement stage)
    {
        if (Json.IsNone(stage)) return None;
        var type = Json.Type(stage, "post_processor");
        switch (type)
        {
            case "ByteLevel":
                return None;
            case "Sequence":
                var parts = Json.Array(stage, "processors", "Sequence post_processor").Select(Create).ToList();
                return new SpecialTokenTemplate(parts.SelectMany(p => p.Before).ToArray(), parts.SelectMany(p => p.After).ToArray());
            case "TemplateProcessing":
                return FromTemplate(stage);
            default:
                throw new TokenizerException($"post_processor type '{type}' is not supported");
        }
    }

    private static SpecialTokenTemplate FromTemplate(JsonElement stage)
    {
        const string what = "TemplateProcessing post_processor";
        if (!stage.TryGetProperty("special_tokens", out var specials) || specials.ValueKind != JsonValueKind.Object)
            throw new TokenizerException($"{what}: \"special_tokens\" must be an object");
        var before = new List<int>();
        var after = new List<int>();
        var seenSequence = false;
        foreach (var item in Json.Array(stage, "single", what))
        {
            if (item.TryGetProperty("Sequence", out _))
            {
                seenSequence = true;
                continue;
            }
            if (!item.TryGetProperty("SpecialToken", out var special))
                throw new TokenizerException($"{what}: items of \"single\" must be Sequence or SpecialToken");
            var name = Json.String(special, "id", what);
            if (!specials.TryGetProperty(name, out var entry))
                throw new TokenizerException($"{what}: special token '{name}' is not in \"special_tokens\"");
            var ids = Json.Array(entry, "ids", what).Select(id => id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out var v) ? v : throw new TokenizerException($"{what}: ids of '{name}' must be integers"));
            (seenSequence ? after : before).AddRange(ids);
        }
        return new SpecialTokenTemplate(before.ToArray(), after.ToArray());
    }
}
