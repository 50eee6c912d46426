namespace Peerz.Model.Tokenization;

/// <summary>
/// Splits text around added tokens, leftmost-longest, as tokenizers' AddedVocabulary does; an
/// lstrip/rstrip token also swallows the whitespace on that side.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>The text as segments: plain text (Token null) or one added token.</summary>
    public List<(string Text, AddedToken? Token)> Split(string text)
    {
        var segments = new List<(string, AddedToken?)>();
        if (_byFirstChar.Count == 0)
        {
            segments.Add((text, null));
            return segments;
        }
        var plainStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = Match(text, i);
            if (match is null)
            {
                i++;
                continue;
            }
            var plainEnd = i;
            if (match.LeftStrip)
                while (plainEnd > plainStart && char.IsWhiteSpace(text[plainEnd - 1])) plainEnd--;
            if (plainEnd > plainStart) segments.Add((text[plainStart..plainEnd], null));
            segments.Add((match.Content, match));
            i += match.Content.Length;
            if (match.RightStrip)
                while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            plainStart = i;
        }
        if (plainStart < text.Length) segments.Add((text[plainStart..], null));
        return segments;
    }

    private AddedToken? Match(string text, int position)
    {
        if (!_byFirstChar.TryGetValue(text[position], out var candidates)) return null;
        foreach (var candidate in candidates)
            if (string.CompareOrdinal(text, position, candidate.Content, 0, candidate.Content.Length) == 0)
                return candidate;
        return null;
    }
}
