namespace Peerz.Model.Tokenization;

/// <summary>
/// Learns byte-level BPE merges from a text: split into pre-tokens by the pattern, write each as byte
/// characters, then repeatedly merge the most frequent adjacent pair (ties: ordinal order of the pair),
/// counting each distinct word once per occurrence. Deterministic; meant for small texts.
/// </summary>
internal static class ByteLevelBpeTrainer
{
    public static List<(string Left, string Right)> Learn(string text, OnigurumaPattern pattern, int maxMerges)
    {
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (start, end) in pattern.Matches(text))
        {
            var word = ByteLevelAlphabet.Encode(text.AsSpan(start, end - start));
            words[word] = words.GetValueOrDefault(word) + 1;
        }
        var symbols = words.OrderBy(w => w.Key, StringComparer.Ordinal)
            .Select(w => (Parts: w.Key.Select(c => c.ToString()).ToList(), Count: w.Value)).ToList();
        var merges = new List<(string, string)>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        for (var b = 0; b < 256; b++) known.Add(ByteLevelAlphabet.ToChar((byte)b).ToString());
        while (merges.Count < maxMerges)
        {
            var counts = new Dictionary<(string, string), int>();
            foreach (var (parts, count) in symbols)
                for (var i = 0; i + 1 < parts.Count; i++)
                    counts[(parts[i], parts[i + 1])] = counts.GetValueOrDefault((parts[i], parts[i + 1])) + count;
            // Every pair may merge (min_frequency 0, as tokenizers' trainer defaults), until each word is one
            // token; a merge whose result is already a token would duplicate it.
            var best = counts.Where(p => !known.Contains(p.Key.Item1 + p.Key.Item2))
                .OrderByDescending(p => p.Value)
                .ThenBy(p => p.Key.Item1, StringComparer.Ordinal)
                .ThenBy(p => p.Key.Item2, StringComparer.Ordinal)
                .Select(p => p.Key).FirstOrDefault();
            if (best.Item1 is null) break;
            merges.Add(best);
            known.Add(best.Item1 + best.Item2);
            foreach (var (parts, _) in symbols)
                for (var i = 0; i + 1 < parts.Count; i++)
                    if (parts[i] == best.Item1 && parts[i + 1] == best.Item2)
                    {
                        parts[i] = best.Item1 + best.Item2;
                        parts.RemoveAt(i + 1);
                    }
        }
        return merges;
    }
}
