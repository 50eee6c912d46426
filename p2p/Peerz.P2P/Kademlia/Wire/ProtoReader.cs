namespace Peerz.P2P.Kademlia.Wire;

/// <summary>
/// Minimal protobuf decoder over a span. Every read is bounds-checked and failures raise
/// <see cref="DhtProtocolException"/>, because the input comes from untrusted peers.
/// </summary>
public ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireFixed32 = 5;

    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool End => _position >= _data.Length;

    /// <summary>Reads the next field key; returns false at the end of the message.</summary>
    public bool TryReadTag(out int field, out int wireType)
    {
        field = 0;
        wireType = 0;
        if (End)
            return false;
        var key = ReadVarint();
        field = (int)(key >> 3);
        wireType = (int)(key & 7);
        if (field == 0 || key >> 3 > int.MaxValue)
            throw new DhtProtocolException($"invalid protobuf field number {key >> 3}");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
                throw new DhtProtocolException("truncated protobuf varint");
            var b = _data[_position++];
            if (shift == 63 && b > 1)
                throw new DhtProtocolException("protobuf varint overflows 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return result;
        }
        throw new DhtProtocolException("protobuf varint longer than 10 bytes");
    }

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
            throw new DhtProtocolException($"protobuf field length {length} exceeds the remaining {_data.Length - _position} bytes");
        var slice = _data.Slice(_position, (int)length);
        _position += (int)length;
        return slice;
    }

    /// <summary>Reads a field whose wire type must match; peers sending another type are malformed.</summary>
    public ReadOnlySpan<byte> ReadBytes(int wireType) =>
        wireType == WireLengthDelimited ? ReadLengthDelimited() : throw WrongType(wireType);

    public ulong ReadUInt64(int wireType) => wireType == WireVarint ? ReadVarint() : throw WrongType(wireType);

    /// <summary>Skips an unknown field, as proto3 requires for forward compatibility.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case WireVarint:
                ReadVarint();
                break;
            case WireFixed64:
                Advance(8);
                break;
            case WireLengthDelimited:
                ReadLengthDelimited();
                break;
            case WireFixed32:
                Advance(4);
                break;
            default:
                throw new DhtProtocolException($"unsupported protobuf wire type {wireType}");
        }
    }

    private void Advance(int count)
    {
        if (_data.Length - _position < count)
            throw new DhtProtocolException("truncated protobuf fixed-width field");
        _position += count;
    }

    private static DhtProtocolException WrongType(int wireType) => new($"unexpected protobuf wire type {wireType}");
}
