namespace Peerz.P2P.Kademlia.Wire;

/// <summary>Record of the libp2p kad-dht protobuf (fields 1, 2 and 5; 3 and 4 are reserved by the spec).</summary>
public sealed record DhtRecord(byte[] Key, byte[] Value, string TimeReceived = "")
{
    private const int FieldKey = 1;
    private const int FieldValue = 2;
    private const int FieldTimeReceived = 5;

    public int EncodedSize() =>
        ProtoSize.BytesField(FieldKey, Key.Length)
        + ProtoSize.BytesField(FieldValue, Value.Length)
        + ProtoSize.BytesField(FieldTimeReceived, System.Text.Encoding.UTF8.GetByteCount(TimeReceived));

    public void WriteTo(ProtoWriter writer)
    {
        writer.WriteBytesField(FieldKey, Key);
        writer.WriteBytesField(FieldValue, Value);
        writer.WriteBytesField(FieldTimeReceived, System.Text.Encoding.UTF8.GetBytes(TimeReceived));
    }

    public static DhtRecord Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        byte[] key = [];
        byte[] value = [];
        var timeReceived = "";
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch (field)
            {
                case FieldKey:
                    key = reader.ReadBytes(wireType).ToArray();
                    break;
                case FieldValue:
                    value = reader.ReadBytes(wireType).ToArray();
                    break;
                case FieldTimeReceived:
                    timeReceived = DecodeUtf8(reader.ReadBytes(wireType));
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        return new DhtRecord(key, value, timeReceived);
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new System.Text.UTF8Encoding(false, true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new DhtProtocolException("DHT record timeReceived is not valid UTF-8");
        }
    }
}
