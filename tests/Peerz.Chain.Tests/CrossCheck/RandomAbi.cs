using System.Numerics;
using System.Text.Json.Nodes;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Tests.CrossCheck;

/// <summary>Random ABI types and values, and their JSON form for the ethers script (integers as decimal strings).</summary>
public sealed class RandomAbi(Random random)
{
    public AbiType Type(int depth = 0)
    {
        var choice = random.Next(depth >= 2 ? 8 : 11);
        return choice switch
        {
            0 => new AbiUInt(8 * random.Next(1, 33)),
            1 => new AbiInt(8 * random.Next(1, 33)),
            2 => new AbiAddress(),
            3 => new AbiBool(),
            4 => new AbiFixedBytes(random.Next(1, 33)),
            5 => new AbiBytes(),
            6 => new AbiString(),
            7 => new AbiUInt(256),
            8 => new AbiArray(Type(depth + 1), null),
            9 => new AbiArray(Type(depth + 1), random.Next(1, 4)),
            _ => new AbiTuple(Enumerable.Range(0, random.Next(1, 4)).Select(_ => Type(depth + 1)).ToArray()),
        };
    }

    public object Value(AbiType type) => type switch
    {
        AbiUInt u => RandomBits(random.Next(0, u.Bits + 1)),
        AbiInt i => random.Next(2) == 0 ? RandomBits(random.Next(0, i.Bits)) : -RandomBits(random.Next(0, i.Bits)) - 1,
        AbiAddress => new Address(Bytes(20)),
        AbiBool => random.Next(2) == 1,
        AbiFixedBytes f => Bytes(f.Size),
        AbiBytes => Bytes(random.Next(0, 70)),
        AbiString => RandomString(),
        AbiArray a => Enumerable.Range(0, a.Length ?? random.Next(0, 4)).Select(_ => Value(a.Element)).ToArray(),
        AbiTuple t => t.Components.Select(Value).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static JsonNode? ToJson(object? value) => value switch
    {
        BigInteger b => JsonValue.Create(b.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Address a => JsonValue.Create(a.ToString()),
        bool b => JsonValue.Create(b),
        byte[] bytes => JsonValue.Create(Hex.Encode(bytes)),
        string s => JsonValue.Create(s),
        object?[] list => new JsonArray(list.Select(ToJson).ToArray()),
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    public byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private BigInteger RandomBits(int bits) =>
        bits == 0 ? BigInteger.Zero : new BigInteger(Bytes((bits + 7) / 8), isUnsigned: true) & ((BigInteger.One << bits) - 1);

    private string RandomString()
    {
        string[] pieces = ["a", "Z", "0", " ", "é", "€", "日本", "😀", "\"", "\\", "\n"];
        return string.Concat(Enumerable.Range(0, random.Next(0, 12)).Select(_ => pieces[random.Next(pieces.Length)]));
    }
}
