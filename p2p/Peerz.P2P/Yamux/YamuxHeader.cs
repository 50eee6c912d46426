using System.Buffers.Binary;

namespace Peerz.P2P.Yamux;

internal enum YamuxType : byte
{
    Data = 0,
    WindowUpdate = 1,
    Ping = 2,
    GoAway = 3,
}

[Flags]
internal enum YamuxFlags : ushort
{
    None = 0,
    Syn = 1,
    Ack = 2,
    Fin = 4,
    Rst = 8,
}

/// <summary>The 12-byte yamux header (hashicorp/yamux spec.md): version, type, flags, stream id, length.</summary>
internal readonly record struct YamuxHeader(YamuxType Type, YamuxFlags Flags, uint StreamId, uint Length)
{
    public const int Size = 12;

    public void Write(Span<byte> destination)
    {
        destination[0] = 0;
        destination[1] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Flags);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Length);
    }

    /// <summary>Parses a header; throws <see cref="InvalidDataException"/> for a bad version, type or flags.</summary>
    public static YamuxHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new InvalidDataException("truncated yamux header");
        }
        if (source[0] != 0)
        {
            throw new InvalidDataException($"unsupported yamux version {source[0]}");
        }
        if (source[1] > (byte)YamuxType.GoAway)
        {
            throw new InvalidDataException($"unknown yamux frame type {source[1]}");
        }
        var flags = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
        if ((flags & ~0xF) != 0)
        {
            throw new InvalidDataException($"unknown yamux flags 0x{flags:x}");
        }
        return new YamuxHeader((YamuxType)source[1], (YamuxFlags)flags,
            BinaryPrimitives.ReadUInt32BigEndian(source[4..]), BinaryPrimitives.ReadUInt32BigEndian(source[8..]));
    }
}
