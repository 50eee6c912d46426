using System.Globalization;

namespace Peerz.Chain.Abi;

internal static class AbiTypeParser
{
    private const int MaxLength = 4096;
    private const int MaxFixedArrayLength = 1 << 16;

    public static AbiType Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw new AbiException($"ABI type string longer than {MaxLength} characters.");
        }

        var position = 0;
        var type = ParseType(text, ref position, 0);
        if (position != text.Length)
        {
            throw new AbiException($"Unexpected '{text[position]}' at {position} in ABI type '{text}'.");
        }

        return type;
    }

    /// <summary>Splits "a,b,(c,d)" at top-level commas.</summary>
    public static List<AbiType> ParseList(string text, ref int position, int depth)
    {
        var types = new List<AbiType>();
        if (position < text.Length && text[position] == ')')
        {
            return types;
        }

        while (true)
        {
            types.Add(ParseType(text, ref position, depth));
            if (position < text.Length && text[position] == ',')
            {
                position++;
                continue;
            }

            return types;
        }
    }

    private static AbiType ParseType(string text, ref int position, int depth)
    {
        if (depth > 32)
        {
            throw new AbiException("ABI type nesting deeper than 32 levels.");
        }

        AbiType type;
        if (position < text.Length && text[position] == '(')
        {
            position++;
            var components = ParseList(text, ref position, depth + 1);
            Expect(text, ref position, ')');
            type = new AbiTuple(components);
        }
        else
        {
            var start = position;
            while (position < text.Length && char.IsAsciiLetterOrDigit(text[position]))
            {
                position++;
            }

            type = Elementary(text[start..position], text);
        }

        while (position < text.Length && text[position] == '[')
        {
            position++;
            var start = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }

            int? length = null;
            if (position > start)
            {
                if (!int.TryParse(text.AsSpan(start, position - start), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                    || n == 0 || n > MaxFixedArrayLength)
                {
                    throw new AbiException($"Invalid fixed array length in ABI type '{text}'.");
                }

                length = n;
            }

            Expect(text, ref position, ']');
            type = new AbiArray(type, length);
        }

        return type;
    }

    private static AbiType Elementary(string name, string whole)
    {
        switch (name)
        {
            case "address": return new AbiAddress();
            case "bool": return new AbiBool();
            case "string": return new AbiString();
            case "bytes": return new AbiBytes();
            case "uint": return new AbiUInt(256);
            case "int": return new AbiInt(256);
        }

        if (TrySuffix(name, "uint", out var bits) && bits is >= 8 and <= 256 && bits % 8 == 0)
        {
            return new AbiUInt(bits);
        }

        if (TrySuffix(name, "int", out bits) && bits is >= 8 and <= 256 && bits % 8 == 0)
        {
            return new AbiInt(bits);
        }

        if (TrySuffix(name, "bytes", out var size) && size is >= 1 and <= 32)
        {
            return new AbiFixedBytes(size);
        }

        throw new AbiException($"Unknown ABI type '{name}' in '{whole}'.");
    }

    private static bool TrySuffix(string name, string prefix, out int value)
    {
        value = 0;
        return name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length && name.Length <= prefix.Length + 3
            && name[prefix.Length] != '0'
            && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static void Expect(string text, ref int position, char c)
    {
        if (position >= text.Length || text[position] != c)
        {
            throw new AbiException($"Expected '{c}' at {position} in ABI type '{text}'.");
        }

        position++;
    }
}
