namespace Peerz.Model.Tokenization;

/// <summary>
/// The BPE model of a tokenizer.json: vocabulary, merge ranks, and the byte-fallback / unknown-token
/// rules. Merges apply lowest rank first, leftmost first, as in Hugging Face tokenizers.
/// </summary>
public sealed class BpeModel
{
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly Lock _cacheLock = new();

    public BpeModel(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, bool byteFallback, string? unknownToken, bool ignoreMerges, bool fuseUnknown)
    {
        Vocab = vocab;
        _ranks = new Dictionary<(string, string), int>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++) _ranks.TryAdd(merges[rank], rank);
        ByteFallback = byteFallback;
        UnknownToken = unknownToken;
        IgnoreMerges = ignoreMerges;
        FuseUnknown = fuseUnknown;
    }

    public IReadOnlyDictionary<string, int> Vocab { get; }
    public bool ByteFallback { get; }
    public string? UnknownToken { get; }
    public bool IgnoreMerges { get; }
    public bool FuseUnknown { get; }

    /// <summary>Token ids of one pre-token (cached: words repeat).</summary>
    public int[] Tokenize(string word)
    {
        lock (_cacheLock)
            if (_cache.TryGetValue(word, out var cached)) return cached;
        var ids = IgnoreMerges && Vocab.TryGetValue(word, out var whole) ? [whole] : Merge(word);
        lock (_cacheLock)
            if (_cache.Count < 100_000) _cache[word] = ids;
        return ids;
    }

    private int[] Merge(string word)
    {
        var symbols = word.EnumerateRunes().Select(r => r.ToString()).ToList();
        while (symbols.Count > 1)
        {
            var bestRank = int.MaxValue;
            var bestAt = -1;
            for (var i = 0; i < symbols.Count - 1; i++)
            {
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out var rank) && rank < bestRank)
                {
                    bestRank = rank;
                    bestAt = i;
                }
            }
            if (bestAt < 0) break;
            symbols[bestAt] += symbols[bestAt + 1];
            symbols.RemoveAt(bestAt + 1);
        }
        var ids = new List<int>(symbols.Count);
        var lastWasUnknown = false;
        foreach (var symbol in symbols)
        {
            if (Vocab.TryGetValue(symbol, out var id))
            {
                ids.Add(id);
                lastWasUnknown = false;
                continue;
            }
            if (ByteFallback)
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(symbol);
                if (bytes.All(b => Vocab.ContainsKey(ByteToken(b))))
                {
                    ids.AddRange(bytes.Select(b => Vocab[ByteToken(b)]));
                    lastWasUnknown = false;
                    continue;
                }
            }
            if (UnknownToken is null || !Vocab.TryGetValue(UnknownToken, out var unknown))
                throw new TokenizerException($"'{symbol}' is not in the vocabulary and the tokenizer has no unknown token");
            if (!(FuseUnknown && lastWasUnknown)) ids.Add(unknown);
            lastWasUnknown = true;
        }
        return ids.ToArray();
    }

    public static string ByteToken(byte value) => $"<0x{value:X2}>";
}
