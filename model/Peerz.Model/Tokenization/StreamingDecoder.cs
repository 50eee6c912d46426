namespace Peerz.Model.Tokenization;

/// <summary>
/// Turns ids arriving one at a time into text, returning only text that is final: a token that ends
/// inside a UTF-8 sequence (byte-level or &lt;0xNN&gt; tokens) is held until the sequence completes.
/// It decodes a short window of recent ids (the approach of text-generation-inference), so decoder
/// rules that depend on context — such as Llama 2's stripping of the first space — give the same
/// text as decoding all ids at once, and memory stays bounded however long the stream is.
/// </summary>
public sealed class StreamingDecoder
{
    // Held-back ids beyond this are released even if incomplete (they decode to U+FFFD), bounding memory.
    private const int MaxPendingIds = 64;

    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<int> _ids = [];
    private int _prefixOffset;
    private int _readOffset;

    internal StreamingDecoder(Tokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id; returns the text that became complete (often empty).</summary>
    public string Add(int id)
    {
        _ids.Add(id);
        var ids = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids);
        var prefix = _tokenizer.Decode(ids[_prefixOffset.._readOffset], _skipSpecialTokens);
        var full = _tokenizer.Decode(ids[_prefixOffset..], _skipSpecialTokens);
        var complete = full.Length > prefix.Length && !full.EndsWith('\uFFFD');
        if (!complete && _ids.Count - _readOffset < MaxPendingIds) return "";
        var fresh = full.Length > prefix.Length ? full[prefix.Length..] : "";
        _prefixOffset = _readOffset;
        _readOffset = _ids.Count;
        // Ids before the window no longer affect the output.
        _ids.RemoveRange(0, _prefixOffset);
        _readOffset -= _prefixOffset;
        _prefixOffset = 0;
        return fresh;
    }

    /// <summary>The text still held back (incomplete sequences become U+FFFD); call at the end of the stream.</summary>
    public string Flush()
    {
        var ids = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids);
        var prefix = _tokenizer.Decode(ids[_prefixOffset.._readOffset], _skipSpecialTokens);
        var full = _tokenizer.Decode(ids[_prefixOffset..], _skipSpecialTokens);
        _ids.RemoveRange(0, _readOffset);
        _prefixOffset = 0;
        _readOffset = _ids.Count;
        return full.Length > prefix.Length ? full[prefix.Length..] : "";
    }
}
