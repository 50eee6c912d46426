namespace Peerz.Chain.Primitives;

internal static class ByteArrayExtensions
{
    public static byte[] PadLeftTo(this byte[] bytes, int length)
    {
        if (bytes.Length >= length)
        {
            return bytes;
        }

        var padded = new byte[length];
        bytes.CopyTo(padded, length - bytes.Length);
        return padded;
    }
}
