namespace Peerz.P2P.Encoding;

/// <summary>Multiformats unsigned varint (LEB128, at most 9 bytes, minimal encoding required).</summary>
public static class Varint
{
    /// <summary>The multiformats spec caps varints at 9 bytes (63 bits).</summary>
    public const int MaxLength = 9;

    public static int GetLength(ulong value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    public static int Write(ulong value, Span<byte> destination)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    public static byte[] Encode(ulong value)
    {
        var buffer = new byte[GetLength(value)];
        Write(value, buffer);
        return buffer;
    }

    /// <summary>Decodes a varint; returns false when more bytes are needed. Throws on malformed input.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int bytesRead)
    {
        value = 0;
        for (var i = 0; i < source.Length; i++)
        {
            if (i >= MaxLength)
            {
                throw new FormatException("varint longer than 9 bytes");
            }
            var b = source[i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                if (b == 0 && i > 0)
                {
                    throw new FormatException("varint is not minimally encoded");
                }
                bytesRead = i + 1;
                return true;
            }
        }
        if (source.Length >= MaxLength)
        {
            throw new FormatException("varint longer than 9 bytes");
        }
        bytesRead = 0;
        return false;
    }

    /// <summary>Decodes a complete varint or throws <see cref="FormatException"/>.</summary>
    public static ulong Read(ReadOnlySpan<byte> source, out int bytesRead)
    {
        if (!TryRead(source, out var value, out bytesRead))
        {
            throw new FormatException("truncated varint");
        }
        return value;
    }

    /// <summary>Reads one varint from a stream byte by byte; null at a clean end of stream before the first byte.</summary>
    public static async ValueTask<ulong?> ReadAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxLength];
        for (var i = 0; i < MaxLength; i++)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(i, 1), ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (i == 0)
                {
                    return null;
                }
                throw new EndOfStreamException("stream ended inside a varint");
            }
            if ((buffer[i] & 0x80) == 0)
            {
                return Read(buffer.AsSpan(0, i + 1), out _);
            }
        }
        throw new FormatException("varint longer than 9 bytes");
    }
}
