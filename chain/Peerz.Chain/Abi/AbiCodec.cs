using System.Buffers;
using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Abi;

/// <summary>
/// Solidity ABI encoding and strict decoding. Values map to .NET as: uintN/intN → <see cref="BigInteger"/>
/// (any integer type accepted when encoding), address → <see cref="Address"/>, bool → bool, bytesN/bytes →
/// byte[], string → string, arrays and tuples → object?[] (any <see cref="System.Collections.IList"/> when encoding).
/// </summary>
public static class AbiCodec
{
    private const int Word = 32;

    /// <summary>Encodes values as the tuple of <paramref name="types"/> (function arguments, return data).</summary>
    public static byte[] Encode(IReadOnlyList<AbiType> types, IReadOnlyList<object?> values)
    {
        var tuple = new AbiTuple(types);
        var buffer = new ArrayBufferWriter<byte>();
        Encode(tuple, values, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Encode(AbiType type, object? value, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(writer);
        var size = EncodedSize(type, value);
        var span = writer.GetSpan(size)[..size];
        span.Clear();
        var written = Write(type, value, span);
        writer.Advance(written);
    }

    /// <summary>Decodes data produced for the tuple of <paramref name="types"/>.</summary>
    public static object?[] Decode(IReadOnlyList<AbiType> types, ReadOnlySpan<byte> data)
    {
        var budget = new DecodeBudget(data.Length);
        return (object?[])Read(new AbiTuple(types), data, 0, budget, 0)!;
    }

    public static object? Decode(AbiType type, ReadOnlySpan<byte> data) =>
        Read(type, data, 0, new DecodeBudget(data.Length), 0);

    private static int EncodedSize(AbiType type, object? value) => type switch
    {
        AbiBytes => Word + PaddedLength(AsBytes(value, type).Length),
        AbiString => Word + PaddedLength(System.Text.Encoding.UTF8.GetByteCount(AsString(value))),
        AbiArray array => (array.Length is null ? Word : 0) + ElementsSize(array.Element, AsList(value, array)),
        AbiTuple tuple => ElementsSize(tuple.Components, AsList(value, tuple)),
        _ => Word,
    };

    private static int ElementsSize(AbiType element, System.Collections.IList values)
    {
        var size = 0;
        foreach (var v in values)
        {
            size += element.IsDynamic ? Word + EncodedSize(element, v) : EncodedSize(element, v);
        }

        return size;
    }

    private static int ElementsSize(IReadOnlyList<AbiType> components, System.Collections.IList values)
    {
        var size = 0;
        for (var i = 0; i < components.Count; i++)
        {
            size += components[i].IsDynamic ? Word + EncodedSize(components[i], values[i]) : EncodedSize(components[i], values[i]);
        }

        return size;
    }

    // Writes the encoding of value at the start of destination and returns its length.
    private static int Write(AbiType type, object? value, Span<byte> destination)
    {
        switch (type)
        {
            case AbiUInt u:
                WriteInteger(ToBigInteger(value, type), u.Bits, signed: false, destination);
                return Word;
            case AbiInt i:
                WriteInteger(ToBigInteger(value, type), i.Bits, signed: true, destination);
                return Word;
            case AbiAddress:
                var address = value is Address a ? a : value is string s ? Address.Parse(s) : throw Mismatch(type, value);
                address.Bytes.CopyTo(destination[12..Word]);
                return Word;
            case AbiBool:
                destination[Word - 1] = value is bool b ? (byte)(b ? 1 : 0) : throw Mismatch(type, value);
                return Word;
            case AbiFixedBytes fixedBytes:
                var fixedValue = AsBytes(value, type);
                if (fixedValue.Length != fixedBytes.Size)
                {
                    throw new AbiException($"{type} needs exactly {fixedBytes.Size} bytes, got {fixedValue.Length}.");
                }

                fixedValue.CopyTo(destination);
                return Word;
            case AbiBytes:
                return WriteDynamicBytes(AsBytes(value, type), destination);
            case AbiString:
                return WriteDynamicBytes(System.Text.Encoding.UTF8.GetBytes(AsString(value)), destination);
            case AbiArray array:
                var items = AsList(value, array);
                if (array.Length is { } fixedLength && items.Count != fixedLength)
                {
                    throw new AbiException($"{type} needs {fixedLength} elements, got {items.Count}.");
                }

                var prefix = 0;
                if (array.Length is null)
                {
                    BigEndian.WritePadded(items.Count, destination[..Word]);
                    prefix = Word;
                }

                var elementTypes = Enumerable.Repeat(array.Element, items.Count).ToArray();
                return prefix + WriteTuple(elementTypes, items, destination[prefix..]);
            case AbiTuple tuple:
                var fields = AsList(value, tuple);
                if (fields.Count != tuple.Components.Count)
                {
                    throw new AbiException($"{type} needs {tuple.Components.Count} values, got {fields.Count}.");
                }

                return WriteTuple(tuple.Components, fields, destination);
            default:
                throw new AbiException($"Unsupported ABI type {type}.");
        }
    }

    private static int WriteTuple(IReadOnlyList<AbiType> types, System.Collections.IList values, Span<byte> destination)
    {
        var head = 0;
        foreach (var t in types)
        {
            head += t.HeadSize;
        }

        var headCursor = 0;
        var tail = head;
        for (var i = 0; i < types.Count; i++)
        {
            if (types[i].IsDynamic)
            {
                BigEndian.WritePadded(tail, destination.Slice(headCursor, Word));
                headCursor += Word;
                tail += Write(types[i], values[i], destination[tail..]);
            }
            else
            {
                headCursor += Write(types[i], values[i], destination[headCursor..]);
            }
        }

        return tail;
    }

    private static int WriteDynamicBytes(byte[] bytes, Span<byte> destination)
    {
        BigEndian.WritePadded(bytes.Length, destination[..Word]);
        bytes.CopyTo(destination[Word..]);
        return Word + PaddedLength(bytes.Length);
    }

    private static void WriteInteger(BigInteger value, int bits, bool signed, Span<byte> destination)
    {
        var min = signed ? -(BigInteger.One << (bits - 1)) : BigInteger.Zero;
        var max = signed ? (BigInteger.One << (bits - 1)) - 1 : (BigInteger.One << bits) - 1;
        if (value < min || value > max)
        {
            throw new AbiException($"{value} is out of range for {(signed ? "int" : "uint")}{bits}.");
        }

        var word = value.Sign < 0 ? (BigInteger.One << 256) + value : value;
        BigEndian.WritePadded(word, destination[..Word]);
    }

    private static object? Read(AbiType type, ReadOnlySpan<byte> data, int offset, DecodeBudget budget, int depth)
    {
        switch (type)
        {
            case AbiUInt u:
                return ReadUnsigned(data, offset, u.Bits, type);
            case AbiInt i:
                var raw = ReadUnsigned(data, offset, 256, type);
                var signed = raw >= BigInteger.One << 255 ? raw - (BigInteger.One << 256) : raw;
                if (signed < -(BigInteger.One << (i.Bits - 1)) || signed >= BigInteger.One << (i.Bits - 1))
                {
                    throw new AbiException($"Value at offset {offset} is not a sign-extended {type}.");
                }

                return signed;
            case AbiAddress:
                var word = Slice(data, offset, Word, type);
                if (word[..12].IndexOfAnyExcept((byte)0) >= 0)
                {
                    throw new AbiException($"Address at offset {offset} has non-zero high bytes.");
                }

                return new Address(word[12..]);
            case AbiBool:
                var flag = ReadUnsigned(data, offset, 8, type);
                return flag > 1 ? throw new AbiException($"Bool at offset {offset} is {flag}, not 0 or 1.") : !flag.IsZero;
            case AbiFixedBytes fixedBytes:
                var padded = Slice(data, offset, Word, type);
                if (padded[fixedBytes.Size..].IndexOfAnyExcept((byte)0) >= 0)
                {
                    throw new AbiException($"{type} at offset {offset} has non-zero padding.");
                }

                return padded[..fixedBytes.Size].ToArray();
            case AbiBytes:
                return ReadDynamicBytes(data, offset, budget, type);
            case AbiString:
                try
                {
                    return new System.Text.UTF8Encoding(false, true).GetString(ReadDynamicBytes(data, offset, budget, type));
                }
                catch (ArgumentException)
                {
                    throw new AbiException($"String at offset {offset} is not valid UTF-8.");
                }

            case AbiArray array:
                int count;
                var start = offset;
                if (array.Length is { } fixedLength)
                {
                    count = fixedLength;
                }
                else
                {
                    count = ReadLength(data, offset, type);
                    start += Word;
                }

                if ((long)count * array.Element.HeadSize > data.Length - start)
                {
                    throw new AbiException($"{type} at offset {offset} claims {count} elements, more than the data holds.");
                }

                return ReadTuple(Enumerable.Repeat(array.Element, count).ToArray(), data, start, budget, depth);
            case AbiTuple tuple:
                return ReadTuple(tuple.Components, data, offset, budget, depth);
            default:
                throw new AbiException($"Unsupported ABI type {type}.");
        }
    }

    private static object?[] ReadTuple(IReadOnlyList<AbiType> types, ReadOnlySpan<byte> data, int offset, DecodeBudget budget, int depth)
    {
        if (depth > 64)
        {
            throw new AbiException("ABI data nested deeper than 64 levels.");
        }

        budget.Spend(types.Count * 8L);
        var values = new object?[types.Count];
        var cursor = offset;
        for (var i = 0; i < types.Count; i++)
        {
            if (types[i].IsDynamic)
            {
                var relative = ReadLength(data, cursor, types[i]);
                var target = (long)offset + relative;
                if (target >= data.Length)
                {
                    throw new AbiException($"Offset {relative} for {types[i]} at {cursor} points outside the data ({data.Length} bytes).");
                }

                values[i] = Read(types[i], data, (int)target, budget, depth + 1);
                cursor += Word;
            }
            else
            {
                values[i] = Read(types[i], data, cursor, budget, depth + 1);
                cursor += types[i].HeadSize;
            }
        }

        return values;
    }

    private static byte[] ReadDynamicBytes(ReadOnlySpan<byte> data, int offset, DecodeBudget budget, AbiType type)
    {
        var length = ReadLength(data, offset, type);
        budget.Spend(length);
        var bytes = Slice(data, offset + Word, PaddedLength(length), type);
        if (bytes[length..].IndexOfAnyExcept((byte)0) >= 0)
        {
            throw new AbiException($"{type} at offset {offset} has non-zero padding.");
        }

        return bytes[..length].ToArray();
    }

    private static int ReadLength(ReadOnlySpan<byte> data, int offset, AbiType type)
    {
        var value = ReadUnsigned(data, offset, 256, type);
        if (value > data.Length)
        {
            throw new AbiException($"Length or offset {value} for {type} at {offset} exceeds the data ({data.Length} bytes).");
        }

        return (int)value;
    }

    private static BigInteger ReadUnsigned(ReadOnlySpan<byte> data, int offset, int bits, AbiType type)
    {
        var word = Slice(data, offset, Word, type);
        var value = BigEndian.ToBigInteger(word);
        if (bits < 256 && value >> bits != 0)
        {
            throw new AbiException($"Value at offset {offset} does not fit {type}.");
        }

        return value;
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> data, int offset, int length, AbiType type)
    {
        if (offset < 0 || (long)offset + length > data.Length)
        {
            throw new AbiException($"{type} at offset {offset} needs {length} bytes; the data has {data.Length}.");
        }

        return data.Slice(offset, length);
    }

    private static int PaddedLength(int length) => (length + Word - 1) / Word * Word;

    private static byte[] AsBytes(object? value, AbiType type) => value switch
    {
        byte[] bytes => bytes,
        ReadOnlyMemory<byte> memory => memory.ToArray(),
        string hex => Hex.Decode(hex),
        _ => throw Mismatch(type, value),
    };

    private static string AsString(object? value) => value as string ?? throw Mismatch(new AbiString(), value);

    private static System.Collections.IList AsList(object? value, AbiType type) =>
        value as System.Collections.IList ?? throw Mismatch(type, value);

    private static BigInteger ToBigInteger(object? value, AbiType type) => value switch
    {
        BigInteger b => b,
        int i => i,
        long l => l,
        uint u => u,
        ulong ul => ul,
        ushort us => us,
        byte by => by,
        _ => throw Mismatch(type, value),
    };

    private static AbiException Mismatch(AbiType type, object? value) =>
        new($"Cannot encode {(value is null ? "null" : value.GetType().Name)} as {type}.");

    // Offsets may point many head entries at the same tail, so output size is bounded separately from input.
    private sealed class DecodeBudget(int inputLength)
    {
        private long _remaining = 4L * inputLength + 4096;

        public void Spend(long amount)
        {
            _remaining -= amount;
            if (_remaining < 0)
            {
                throw new AbiException("Decoded ABI value would be far larger than its input (overlapping offsets).");
            }
        }
    }
}
