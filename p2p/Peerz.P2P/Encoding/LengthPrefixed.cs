namespace Peerz.P2P.Encoding;

/// <summary>Unsigned-varint length-prefixed messages, the framing libp2p protocols (identify, kad, peerz) share.</summary>
public static class LengthPrefixed
{
    public static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        var frame = new byte[Varint.GetLength((ulong)message.Length) + message.Length];
        var n = Varint.Write((ulong)message.Length, frame);
        message.Span.CopyTo(frame.AsSpan(n));
        await stream.WriteAsync(frame, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads one message; throws <see cref="EndOfStreamException"/> if the stream ends first.</summary>
    public static async ValueTask<byte[]> ReadAsync(Stream stream, int maxSize, CancellationToken ct) =>
        await TryReadAsync(stream, maxSize, ct).ConfigureAwait(false)
        ?? throw new EndOfStreamException("stream ended before a message");

    /// <summary>Reads one message; null when the stream ends cleanly at a message boundary.</summary>
    public static async ValueTask<byte[]?> TryReadAsync(Stream stream, int maxSize, CancellationToken ct)
    {
        var length = await Varint.ReadAsync(stream, ct).ConfigureAwait(false);
        if (length is null)
        {
            return null;
        }
        if (length.Value > (ulong)maxSize)
        {
            throw new InvalidDataException($"message of {length.Value} bytes exceeds the limit of {maxSize}");
        }
        var buffer = new byte[(int)length.Value];
        await stream.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
        return buffer;
    }
}
