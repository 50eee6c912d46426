namespace Peerz.Chain.Rlp;

/// <summary>
/// Strict RLP decoder: rejects truncated input, trailing bytes, non-canonical lengths and nesting deeper
/// than <see cref="MaxDepth"/>, so hostile input gives an <see cref="RlpException"/> and never a crash.
/// </summary>
public static class RlpDecoder
{
    public const int MaxDepth = 64;

    /// <summary>Decodes exactly one item spanning the whole input.</summary>
    public static RlpItem Decode(ReadOnlyMemory<byte> input)
    {
        var offset = 0;
        var item = DecodeItem(input, ref offset, 0);
        if (offset != input.Length)
        {
            throw new RlpException($"{input.Length - offset} trailing bytes after the RLP item.");
        }

        return item;
    }

    private static RlpItem DecodeItem(ReadOnlyMemory<byte> input, ref int offset, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new RlpException($"RLP nesting exceeds {MaxDepth} levels.");
        }

        var span = input.Span;
        if (offset >= span.Length)
        {
            throw new RlpException("Truncated RLP: expected an item, found end of input.");
        }

        var prefix = span[offset];
        if (prefix < 0x80)
        {
            return RlpItem.String(input.Slice(offset++, 1));
        }

        bool isList = prefix >= 0xc0;
        var shortBase = isList ? 0xc0 : 0x80;
        int length;
        int headerLength;
        if (prefix - shortBase <= 55)
        {
            length = prefix - shortBase;
            headerLength = 1;
        }
        else
        {
            var lengthOfLength = prefix - shortBase - 55;
            if (lengthOfLength > 4 || offset + 1 + lengthOfLength > span.Length)
            {
                throw new RlpException("Truncated or oversized RLP length prefix.");
            }

            if (span[offset + 1] == 0)
            {
                throw new RlpException("RLP length has a leading zero byte (non-canonical).");
            }

            long longLength = 0;
            for (var i = 0; i < lengthOfLength; i++)
            {
                longLength = (longLength << 8) | span[offset + 1 + i];
            }

            if (longLength < 56)
            {
                throw new RlpException("RLP long form used for a length below 56 (non-canonical).");
            }

            if (longLength > span.Length)
            {
                throw new RlpException($"RLP item claims {longLength} bytes, input has {span.Length}.");
            }

            length = (int)longLength;
            headerLength = 1 + lengthOfLength;
        }

        var start = offset + headerLength;
        if ((long)start + length > span.Length)
        {
            throw new RlpException($"Truncated RLP: item needs {length} bytes, {span.Length - start} remain.");
        }

        offset = start + length;
        if (!isList)
        {
            if (length == 1 && headerLength == 1 && span[start] < 0x80)
            {
                throw new RlpException("Single byte below 0x80 must be encoded as itself (non-canonical).");
            }

            return RlpItem.String(input.Slice(start, length));
        }

        var items = new List<RlpItem>();
        var cursor = start;
        var end = start + length;
        var body = input[..end];
        while (cursor < end)
        {
            items.Add(DecodeItem(body, ref cursor, depth + 1));
        }

        return RlpItem.List(items);
    }
}
