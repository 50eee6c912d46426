using System.Collections.Concurrent;

namespace Peerz.Model.Tokenization;

/// <summary>
/// The BPE model of Hugging Face tokenizers: a word (one pre-token) starts as its characters' ids
/// (or, with byte fallback, the &lt;0xNN&gt; tokens of an unknown character's UTF-8 bytes, else the unknown
/// token), then the adjacent pair with the lowest merge rank is merged, leftmost first, until no pair
/// has a merge. A priority queue keeps that O(n log n); results are cached per word.
/// </summary>
public sealed class BpeModel
{
    private const int MaxCachedWordLength = 256;
    private const int MaxCacheEntries = 100_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int[] _byteFallbackIds;
    private readonly int? _unknownId;
    private readonly bool _fuseUnknown;
    private readonly bool _ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    /// <param name="vocab">token → id</param>
    /// <param name="merges">merge pairs, highest priority first</param>
    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges,
        string? unknownToken, bool byteFallback, bool fuseUnknown, bool ignoreMerges)
    {
        _vocab = vocab;
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!vocab.TryGetValue(left, out var leftId) || !vocab.TryGetValue(right, out var rightId))
                throw new TokenizerException($"merge {rank} ('{left}' '{right}') names a token that is not in the vocabulary");
            if (!vocab.TryGetValue(left + right, out var newId))
                throw new TokenizerException($"merge {rank} ('{left}' '{right}') produces '{left + right}', which is not in the vocabulary");
            // The first occurrence of a pair wins, as in tokenizers' BpeBuilder.
            _merges.TryAdd(Key(leftId, rightId), (rank, newId));
        }
        if (unknownToken is not null)
        {
            if (!vocab.TryGetValue(unknownToken, out var unk))
                throw new TokenizerException($"unk_token '{unknownToken}' is not in the vocabulary");
            _unknownId = unk;
        }
        _byteFallbackIds = new int[256];
        for (var b = 0; b < 256; b++)
            _byteFallbackIds[b] = byteFallback && vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
        ByteFallback = byteFallback;
        _fuseUnknown = fuseUnknown;
        _ignoreMerges = ignoreMerges;
    }

    public bool ByteFallback { get; }

    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>Appends the ids of one pre-token to <paramref name="output"/>.</summary>
    public void Tokenize(string word, List<int> output)
    {
        if (word.Length == 0) return;
        if (_ignoreMerges && _vocab.TryGetValue(word, out var whole))
        {
            output.Add(whole);
            return;
        }
        if (_cache.TryGetValue(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        var ids = Merge(InitialSymbols(word));
        if (word.Length < MaxCachedWordLength)
        {
            // A bounded cache: when full, start again rather than grow without limit.
            if (_cache.Count >= MaxCacheEntries) _cache.Clear();
            _cache.TryAdd(word, ids);
        }
        output.AddRange(ids);
    }

    private List<int> InitialSymbols(string word)
    {
        var symbols = new List<int>(word.Length);
        var previousWasUnknown = false;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in word.EnumerateRunes())
        {
            if (_vocab.TryGetValue(rune.ToString(), out var id))
            {
                symbols.Add(id);
                previousWasUnknown = false;
                continue;
            }
            if (ByteFallback)
            {
                var length = rune.EncodeToUtf8(utf8);
                var allKnown = true;
                for (var i = 0; i < length; i++) allKnown &= _byteFallbackIds[utf8[i]] >= 0;
                if (allKnown)
                {
                    for (var i = 0; i < length; i++) symbols.Add(_byteFallbackIds[utf8[i]]);
                    previousWasUnknown = false;
                    continue;
                }
            }
            // Without an unknown token the character is dropped, as tokenizers does.
            if (_unknownId is not { } unk) continue;
            if (!(_fuseUnknown && previousWasUnknown)) symbols.Add(unk);
            previousWasUnknown = true;
        }
        return symbols;
    }

    private int[] Merge(List<int> symbols)
    {
        var count = symbols.Count;
        if (count < 2) return symbols.ToArray();
        var ids = symbols.ToArray();
        var next = new int[count];
        var prev = new int[count];
        var alive = new bool[count];
        for (var i = 0; i < count; i++)
        {
            next[i] = i + 1 < count ? i + 1 : -1;
            prev[i] = i - 1;
            alive[i] = true;
        }
        // Priority: lowest rank first, then leftmost position.
        var queue = new PriorityQueue<(int Position, int NewId), long>();
        for (var i = 0; i + 1 < count; i++) Enqueue(queue, ids, i, i + 1);
        while (queue.TryDequeue(out var candidate, out _))
        {
            var left = candidate.Position;
            var right = next[left];
            if (!alive[left] || right < 0) continue;
            // Stale entry: one side has merged since it was queued.
            if (!_merges.TryGetValue(Key(ids[left], ids[right]), out var merge) || merge.NewId != candidate.NewId) continue;
            ids[left] = merge.NewId;
            alive[right] = false;
            next[left] = next[right];
            if (next[left] >= 0) prev[next[left]] = left;
            if (prev[left] >= 0) Enqueue(queue, ids, prev[left], left);
            if (next[left] >= 0) Enqueue(queue, ids, left, next[left]);
        }
        var result = new List<int>(count);
        for (var i = 0; i >= 0; i = next[i]) result.Add(ids[i]);
        return result.ToArray();
    }

    private void Enqueue(PriorityQueue<(int, int), long> queue, int[] ids, int left, int right)
    {
        if (_merges.TryGetValue(Key(ids[left], ids[right]), out var merge))
            queue.Enqueue((left, merge.NewId), ((long)merge.Rank << 32) | (uint)left);
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>The UTF-8 bytes a &lt;0xNN&gt; token stands for, if it is one.</summary>
    public static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out value);
    }
}
