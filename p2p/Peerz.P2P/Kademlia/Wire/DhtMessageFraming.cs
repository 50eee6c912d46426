using System.Buffers;

namespace Peerz.P2P.Kademlia.Wire;

/// <summary>
/// Unsigned-varint length-prefixed DHT messages on a stream (the kad-dht framing). Lengths above the
/// configured maximum are rejected before any allocation, so a hostile peer cannot make us buffer more.
/// </summary>
public static class DhtMessageFraming
{
    private const int MaxLengthPrefixBytes = 5;

    /// <summary>Reads one message, or returns null when the stream ends cleanly between messages.</summary>
    public static async Task<DhtMessage?> ReadAsync(Stream stream, int maxMessageSize, CancellationToken ct)
    {
        var length = await ReadLengthAsync(stream, maxMessageSize, ct).ConfigureAwait(false);
        if (length is null)
            return null;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length.Value, 1));
        try
        {
            await stream.ReadExactlyAsync(buffer.AsMemory(0, length.Value), ct).ConfigureAwait(false);
            return DhtMessage.Decode(buffer.AsSpan(0, length.Value));
        }
        catch (EndOfStreamException)
        {
            throw new DhtProtocolException($"stream ended inside a {length}-byte DHT message");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static async Task WriteAsync(Stream stream, DhtMessage message, int maxMessageSize, CancellationToken ct)
    {
        var size = message.EncodedSize();
        if (size > maxMessageSize)
            throw new DhtProtocolException($"DHT message of {size} bytes exceeds the {maxMessageSize}-byte limit");
        var buffer = new ArrayBufferWriter<byte>(size + MaxLengthPrefixBytes);
        new ProtoWriter(buffer).WriteVarint((ulong)size);
        message.WriteTo(buffer);
        await stream.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task<int?> ReadLengthAsync(Stream stream, int maxMessageSize, CancellationToken ct)
    {
        var one = new byte[1];
        ulong length = 0;
        for (var i = 0; i < MaxLengthPrefixBytes; i++)
        {
            var read = await stream.ReadAsync(one, ct).ConfigureAwait(false);
            if (read == 0)
                return i == 0 ? null : throw new DhtProtocolException("stream ended inside a DHT length prefix");
            length |= (ulong)(one[0] & 0x7F) << (7 * i);
            if (length > (ulong)maxMessageSize)
                throw new DhtProtocolException($"DHT message length {length} exceeds the {maxMessageSize}-byte limit");
            if (one[0] < 0x80)
                return (int)length;
        }
        throw new DhtProtocolException("DHT length prefix longer than 5 bytes");
    }
}
