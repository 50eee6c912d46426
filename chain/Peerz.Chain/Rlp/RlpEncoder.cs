using System.Buffers;

namespace Peerz.Chain.Rlp;

/// <summary>Recursive Length Prefix encoding (Ethereum Yellow Paper, appendix B).</summary>
public static class RlpEncoder
{
    public static byte[] Encode(RlpItem item)
    {
        var buffer = new ArrayBufferWriter<byte>(EncodedLength(item));
        Encode(item, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Encode(RlpItem item, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.IsList)
        {
            var payload = 0;
            foreach (var child in item.Items)
            {
                payload += EncodedLength(child);
            }

            WriteHeader(writer, payload, 0xc0);
            foreach (var child in item.Items)
            {
                Encode(child, writer);
            }

            return;
        }

        var bytes = item.Bytes.Span;
        if (bytes.Length == 1 && bytes[0] < 0x80)
        {
            writer.Write(bytes);
            return;
        }

        WriteHeader(writer, bytes.Length, 0x80);
        writer.Write(bytes);
    }

    public static int EncodedLength(RlpItem item)
    {
        if (item.IsList)
        {
            var payload = 0;
            foreach (var child in item.Items)
            {
                payload += EncodedLength(child);
            }

            return HeaderLength(payload) + payload;
        }

        var length = item.Bytes.Length;
        return length == 1 && item.Bytes.Span[0] < 0x80 ? 1 : HeaderLength(length) + length;
    }

    private static int HeaderLength(int payload) => payload < 56 ? 1 : 1 + LengthOfLength(payload);

    private static int LengthOfLength(int length)
    {
        var n = 0;
        for (var v = (uint)length; v > 0; v >>= 8)
        {
            n++;
        }

        return n;
    }

    private static void WriteHeader(IBufferWriter<byte> writer, int payload, byte offset)
    {
        if (payload < 56)
        {
            writer.Write([(byte)(offset + payload)]);
            return;
        }

        var lengthOfLength = LengthOfLength(payload);
        var span = writer.GetSpan(1 + lengthOfLength);
        span[0] = (byte)(offset + 55 + lengthOfLength);
        for (var i = 0; i < lengthOfLength; i++)
        {
            span[lengthOfLength - i] = (byte)(payload >> (8 * i));
        }

        writer.Advance(1 + lengthOfLength);
    }
}
