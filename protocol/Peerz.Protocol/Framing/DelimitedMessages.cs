using Google.Protobuf;

namespace Peerz.Protocol.Framing;

/// <summary>
/// Protobuf messages framed by an unsigned-varint length prefix (the libp2p convention), read with
/// a hard size limit so a peer cannot make us buffer more than we agreed to.
/// </summary>
public static class DelimitedMessages
{
    private const int MaxVarintBytes = 5;

    public static async Task WriteAsync(Stream stream, IMessage message, CancellationToken cancellationToken)
    {
        var size = message.CalculateSize();
        var buffer = new byte[CodedOutputStream.ComputeUInt32Size((uint)size) + size];
        using (var output = new CodedOutputStream(buffer))
        {
            output.WriteUInt32((uint)size);
            message.WriteTo(output);
        }
        await stream.WriteAsync(buffer, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>Reads one message; null when the stream ends cleanly before a new message starts.</summary>
    public static async Task<T?> ReadAsync<T>(Stream stream, MessageParser<T> parser, int maxBytes, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        var length = await ReadLengthAsync(stream, cancellationToken);
        if (length is null) return null;
        if (length > maxBytes)
            throw new FrameTooLargeException(length.Value, maxBytes);
        var buffer = new byte[length.Value];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        try
        {
            return parser.ParseFrom(buffer);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ProtocolViolationException($"malformed {typeof(T).Name}: {e.Message}");
        }
    }

    private static async Task<int?> ReadLengthAsync(Stream stream, CancellationToken cancellationToken)
    {
        var one = new byte[1];
        ulong value = 0;
        for (var i = 0; i < MaxVarintBytes; i++)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                if (i == 0) return null;
                throw new EndOfStreamException("stream ended inside a length prefix");
            }
            value |= (ulong)(one[0] & 0x7F) << (7 * i);
            if ((one[0] & 0x80) == 0)
                return value <= int.MaxValue ? (int)value : throw new ProtocolViolationException($"length prefix {value} is too large");
        }
        throw new ProtocolViolationException("length prefix is longer than 5 bytes");
    }
}

/// <summary>The peer broke the protocol (bad framing, malformed message); the stream should be closed.</summary>
public class ProtocolViolationException(string message) : Exception(message);

public sealed class FrameTooLargeException(int length, int max)
    : ProtocolViolationException($"message of {length} bytes exceeds the {max}-byte limit")
{
    public int Length { get; } = length;
}
