using System.Buffers;

namespace Peerz.P2P.Encoding;

/// <summary>Minimal protobuf (proto2/proto3 wire format) writer for the few libp2p messages we exchange.</summary>
public sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public ProtoWriter WriteVarint(int field, ulong value)
    {
        WriteRawVarint(((ulong)field << 3) | 0);
        WriteRawVarint(value);
        return this;
    }

    public ProtoWriter WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteRawVarint(((ulong)field << 3) | 2);
        WriteRawVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    public ProtoWriter WriteString(int field, string value) => WriteBytes(field, System.Text.Encoding.UTF8.GetBytes(value));

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    private void WriteRawVarint(ulong value)
    {
        var span = _buffer.GetSpan(Varint.MaxLength + 1);
        _buffer.Advance(Varint.Write(value, span));
    }
}
