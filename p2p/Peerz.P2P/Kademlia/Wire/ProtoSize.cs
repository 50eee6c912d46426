namespace Peerz.P2P.Kademlia.Wire;

/// <summary>Encoded sizes matching <see cref="ProtoWriter"/>, so nested messages can be length-prefixed without a copy.</summary>
public static class ProtoSize
{
    public static int Varint(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    public static int Tag(int field) => Varint((ulong)(field << 3));

    public static int UInt64Field(int field, ulong value) => value == 0 ? 0 : Tag(field) + Varint(value);

    public static int BytesField(int field, int length) => length == 0 ? 0 : RepeatedBytes(field, length);

    public static int RepeatedBytes(int field, int length) => Tag(field) + Varint((ulong)length) + length;
}
