namespace Peerz.P2P.Encoding;

/// <summary>RFC 4648 base32, lower case, no padding (multibase 'b' without the prefix).</summary>
public static class Base32
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var chars = new char[(data.Length * 8 + 4) / 5];
        int buffer = 0, bits = 0, i = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[i++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }
        if (bits > 0)
        {
            chars[i++] = Alphabet[(buffer << (5 - bits)) & 31];
        }
        return new string(chars, 0, i);
    }

    public static byte[] Decode(string text)
    {
        var result = new byte[text.Length * 5 / 8];
        int buffer = 0, bits = 0, i = 0;
        foreach (var c in text)
        {
            var v = Alphabet.IndexOf(char.ToLowerInvariant(c));
            if (v < 0)
            {
                throw new FormatException($"invalid base32 character '{c}'");
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8)
            {
                result[i++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }
        return result;
    }
}
