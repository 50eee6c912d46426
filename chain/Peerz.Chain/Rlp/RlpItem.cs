using System.Numerics;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Rlp;

/// <summary>An RLP value: either a byte string or a list of items.</summary>
public sealed class RlpItem
{
    private RlpItem(ReadOnlyMemory<byte> bytes, IReadOnlyList<RlpItem>? items)
    {
        Bytes = bytes;
        Items = items ?? [];
        IsList = items is not null;
    }

    public bool IsList { get; }

    public ReadOnlyMemory<byte> Bytes { get; }

    public IReadOnlyList<RlpItem> Items { get; }

    public static RlpItem String(ReadOnlyMemory<byte> bytes) => new(bytes, null);

    public static RlpItem List(params IReadOnlyList<RlpItem> items) => new(default, items);

    /// <summary>A non-negative integer as its minimal big-endian bytes (zero is the empty string).</summary>
    public static RlpItem Integer(BigInteger value) => String(BigEndian.ToMinimalBytes(value));

    /// <summary>Reads a canonical integer: no leading zero byte, at most 32 bytes.</summary>
    public BigInteger AsInteger()
    {
        var span = AsBytes().Span;
        if (span.Length > 32)
        {
            throw new RlpException($"Integer of {span.Length} bytes exceeds 256 bits.");
        }

        if (span.Length > 0 && span[0] == 0)
        {
            throw new RlpException("Integer has a leading zero byte (non-canonical).");
        }

        return BigEndian.ToBigInteger(span);
    }

    public ReadOnlyMemory<byte> AsBytes() =>
        IsList ? throw new RlpException("Expected an RLP string, found a list.") : Bytes;

    public IReadOnlyList<RlpItem> AsList(int expectedCount = -1)
    {
        if (!IsList)
        {
            throw new RlpException("Expected an RLP list, found a string.");
        }

        if (expectedCount >= 0 && Items.Count != expectedCount)
        {
            throw new RlpException($"Expected a list of {expectedCount} items, found {Items.Count}.");
        }

        return Items;
    }
}
