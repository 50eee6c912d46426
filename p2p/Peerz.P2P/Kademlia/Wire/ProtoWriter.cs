using System.Buffers;

namespace Peerz.P2P.Kademlia.Wire;

/// <summary>
/// Minimal protobuf (proto3) encoder writing straight into an <see cref="IBufferWriter{T}"/>.
/// Nested messages need their size up front, so callers pair it with <see cref="ProtoSize"/>.
/// </summary>
public readonly ref struct ProtoWriter(IBufferWriter<byte> output)
{
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;

    public void WriteVarint(ulong value)
    {
        var span = output.GetSpan(10);
        var written = 0;
        while (value >= 0x80)
        {
            span[written++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[written++] = (byte)value;
        output.Advance(written);
    }

    public void WriteTag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    /// <summary>Writes a varint field, omitting proto3 default zero.</summary>
    public void WriteUInt64Field(int field, ulong value)
    {
        if (value == 0)
            return;
        WriteTag(field, WireVarint);
        WriteVarint(value);
    }

    /// <summary>Writes a length-delimited field, omitting proto3 default empty.</summary>
    public void WriteBytesField(int field, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
            return;
        WriteRepeatedBytes(field, value);
    }

    /// <summary>Writes a length-delimited element even when empty (repeated fields keep empties).</summary>
    public void WriteRepeatedBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)value.Length);
        output.Write(value);
    }

    /// <summary>Starts a nested message of a precomputed size; the caller then writes its fields.</summary>
    public void WriteMessageHeader(int field, int size)
    {
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)size);
    }
}
