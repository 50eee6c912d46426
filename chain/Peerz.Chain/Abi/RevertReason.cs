using System.Numerics;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Abi;

/// <summary>Why a call reverted, decoded from its revert data.</summary>
public sealed record RevertReason(RevertKind Kind, string Message, string? ErrorName = null, IReadOnlyList<object?>? Arguments = null, BigInteger? PanicCode = null)
{
    private static readonly AbiError ErrorString = AbiError.Parse("Error(string)");
    private static readonly AbiError Panic = AbiError.Parse("Panic(uint256)");

    /// <summary>
    /// Decodes Error(string), Panic(uint256) or one of <paramref name="customErrors"/>; anything else is reported
    /// as unknown with its raw hex, never thrown.
    /// </summary>
    public static RevertReason Decode(ReadOnlySpan<byte> data, IEnumerable<AbiError>? customErrors = null)
    {
        if (data.Length == 0)
        {
            return new RevertReason(RevertKind.Empty, "reverted without a reason");
        }

        if (data.Length >= 4)
        {
            var selector = data[..4];
            var body = data[4..];
            try
            {
                if (selector.SequenceEqual(ErrorString.Selector))
                {
                    var message = (string)AbiCodec.Decode([new AbiString()], body)[0]!;
                    return new RevertReason(RevertKind.Error, message, "Error", [message]);
                }

                if (selector.SequenceEqual(Panic.Selector))
                {
                    var code = (BigInteger)AbiCodec.Decode([new AbiUInt(256)], body)[0]!;
                    return new RevertReason(RevertKind.Panic, $"panic 0x{code:x2} ({PanicDescription(code)})", "Panic", [code], code);
                }

                foreach (var error in customErrors ?? [])
                {
                    if (selector.SequenceEqual(error.Selector))
                    {
                        var arguments = AbiCodec.Decode(error.Inputs.Select(p => p.Type).ToArray(), body);
                        return new RevertReason(RevertKind.Custom, $"{error.Name}({string.Join(", ", arguments.Select(Format))})", error.Name, arguments);
                    }
                }
            }
            catch (AbiException e)
            {
                return new RevertReason(RevertKind.Unknown, $"malformed revert data {Hex.Encode(data)}: {e.Message}");
            }
        }

        return new RevertReason(RevertKind.Unknown, $"unrecognised revert data {Hex.Encode(data)}");
    }

    public override string ToString() => Message;

    private static string Format(object? value) => value switch
    {
        byte[] bytes => Hex.Encode(bytes),
        object?[] list => "[" + string.Join(", ", list.Select(Format)) + "]",
        null => "null",
        _ => value.ToString() ?? string.Empty,
    };

    // Solidity documentation, "Panic via assert and Error via require".
    private static string PanicDescription(BigInteger code) => (int)BigInteger.Min(code, 0x100) switch
    {
        0x00 => "generic compiler panic",
        0x01 => "assertion failed",
        0x11 => "arithmetic overflow or underflow",
        0x12 => "division or modulo by zero",
        0x21 => "invalid enum value",
        0x22 => "invalid storage byte array",
        0x31 => "pop on empty array",
        0x32 => "array index out of bounds",
        0x41 => "out of memory",
        0x51 => "call to zero-initialised function",
        _ => "unknown panic code",
    };
}

public enum RevertKind
{
    Empty,
    Error,
    Panic,
    Custom,
    Unknown,
}
