using System.Text.Json;

namespace Peerz.Model.Tokenization;

/// <summary>
/// The "pre_tokenizer" stage of tokenizer.json: splits normalized text into pieces that BPE encodes
/// independently. Each stage maps the list of pieces to a new list, as tokenizers' PreTokenizedString does.
/// </summary>
internal static class PreTokenizers
{
    /// <summary>GPT-2's split pattern, used by ByteLevel when use_regex is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static Func<List<string>, List<string>> Create(JsonElement stage)
    {
        if (Json.IsNone(stage)) return static pieces => pieces;
        var type = Json.Type(stage, "pre_tokenizer");
        switch (type)
        {
            case "Sequence":
                var steps = Json.Array(stage, "pretokenizers", "Sequence pre_tokenizer").Select(Create).ToArray();
                return pieces =>
                {
                    foreach (var step in steps) pieces = step(pieces);
                    return pieces;
                };
            case "Split":
                var pattern = Json.Pattern(stage, "Split pre_tokenizer");
                var behavior = Json.String(stage, "behavior", "Split pre_tokenizer");
                var invert = Json.Bool(stage, "invert", false);
                ValidateBehavior(behavior);
                return pieces => SplitAll(pieces, pattern, behavior, invert);
            case "ByteLevel":
                var addPrefixSpace = Json.Bool(stage, "add_prefix_space", true);
                var regex = Json.Bool(stage, "use_regex", true) ? new OnigurumaPattern(Gpt2Pattern) : null;
                return pieces => ByteLevel(pieces, addPrefixSpace, regex);
            default:
                throw new TokenizerException($"pre_tokenizer type '{type}' is not supported");
        }
    }

    private static void ValidateBehavior(string behavior)
    {
        if (behavior is not ("Removed" or "Isolated" or "MergedWithPrevious" or "MergedWithNext" or "Contiguous"))
            throw new TokenizerException($"Split behavior '{behavior}' is not supported");
    }

    private static List<string> ByteLevel(List<string> pieces, bool addPrefixSpace, OnigurumaPattern? regex)
    {
        var result = new List<string>(pieces.Count);
        foreach (var original in pieces)
        {
            var piece = addPrefixSpace && !original.StartsWith(' ') ? " " + original : original;
            if (regex is null)
            {
                result.Add(ByteLevelAlphabet.Encode(piece));
                continue;
            }
            foreach (var part in Split(piece, regex, "Isolated", invert: false))
                result.Add(ByteLevelAlphabet.Encode(part));
        }
        return result;
    }

    private static List<string> SplitAll(List<string> pieces, OnigurumaPattern pattern, string behavior, bool invert)
    {
        var result = new List<string>(pieces.Count * 4);
        foreach (var piece in pieces) result.AddRange(Split(piece, pattern, behavior, invert));
        return result;
    }

    /// <summary>tokenizers' NormalizedString::split: the text as alternating matched/unmatched spans, then combined per behavior.</summary>
    public static IEnumerable<string> Split(string text, OnigurumaPattern pattern, string behavior, bool invert)
    {
        var spans = new List<(int Start, int End, bool IsMatch)>();
        var previous = 0;
        foreach (var (start, end) in pattern.Matches(text))
        {
            if (start > previous) spans.Add((previous, start, invert));
            spans.Add((start, end, !invert));
            previous = end;
        }
        if (previous < text.Length) spans.Add((previous, text.Length, invert));

        var combined = new List<(int Start, int End)>(spans.Count);
        switch (behavior)
        {
            case "Removed":
                combined.AddRange(spans.Where(s => !s.IsMatch).Select(s => (s.Start, s.End)));
                break;
            case "Isolated":
                combined.AddRange(spans.Select(s => (s.Start, s.End)));
                break;
            case "MergedWithPrevious":
                var previousMatch = false;
                foreach (var s in spans)
                {
                    if (s.IsMatch && !previousMatch && combined.Count > 0) combined[^1] = (combined[^1].Start, s.End);
                    else combined.Add((s.Start, s.End));
                    previousMatch = s.IsMatch;
                }
                break;
            case "MergedWithNext":
                var nextMatch = false;
                for (var i = spans.Count - 1; i >= 0; i--)
                {
                    var s = spans[i];
                    if (s.IsMatch && !nextMatch && combined.Count > 0) combined[^1] = (s.Start, combined[^1].End);
                    else combined.Add((s.Start, s.End));
                    nextMatch = s.IsMatch;
                }
                combined.Reverse();
                break;
            default: // Contiguous
                var lastMatch = false;
                foreach (var s in spans)
                {
                    if (s.IsMatch == lastMatch && combined.Count > 0) combined[^1] = (combined[^1].Start, s.End);
                    else combined.Add((s.Start, s.End));
                    lastMatch = s.IsMatch;
                }
                break;
        }
        return combined.Where(s => s.End > s.Start).Select(s => text[s.Start..s.End]);
    }
}
