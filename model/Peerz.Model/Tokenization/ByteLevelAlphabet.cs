namespace Peerz.Model.Tokenization;

/// <summary>
/// GPT-2's reversible map from the 256 byte values to printable characters (bytes_to_unicode):
/// printable Latin-1 bytes map to themselves, the others to U+0100 onwards, so that every
/// byte-level token is a readable string without spaces or control characters.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    public static char ToChar(byte value) => ByteToChar[value];

    public static bool TryGetByte(char c, out byte value) => CharToByte.TryGetValue(c, out value);

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, each written as its alphabet character.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text.ToArray());
        return string.Create(bytes.Length, bytes, static (chars, source) =>
        {
            for (var i = 0; i < source.Length; i++) chars[i] = ByteToChar[source[i]];
        });
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var isPrintable = new bool[256];
        for (var b = '!'; b <= '~'; b++) isPrintable[b] = true;
        for (var b = '¡'; b <= '¬'; b++) isPrintable[b] = true;
        for (var b = '®'; b <= 'ÿ'; b++) isPrintable[b] = true;
        var next = 256;
        for (var b = 0; b < 256; b++) map[b] = isPrintable[b] ? (char)b : (char)next++;
        return map;
    }
}
