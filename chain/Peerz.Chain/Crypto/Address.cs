using Peerz.Chain.Primitives;

namespace Peerz.Chain.Crypto;

/// <summary>A 20-byte Ethereum account address; prints with its EIP-55 checksum.</summary>
public readonly struct Address : IEquatable<Address>
{
    public const int Length = 20;

    private readonly byte[]? _bytes;

    public Address(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"An address is {Length} bytes, got {bytes.Length}.", nameof(bytes));
        }

        _bytes = bytes.ToArray();
    }

    public static Address Zero { get; } = new(new byte[Length]);

    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[Length];

    /// <summary>
    /// Parses a 0x-prefixed address. All-lower or all-upper case hex is accepted as is; mixed case must be
    /// a valid EIP-55 checksum, because a wrong checksum means a mistyped address.
    /// </summary>
    public static Address Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.Length != 2 + 2 * Length)
        {
            throw new FormatException($"An address is 0x followed by 40 hex digits, got '{Truncate(text)}'.");
        }

        var address = new Address(Hex.Decode(text));
        var digits = text[2..];
        var mixed = digits.Any(char.IsAsciiLetterLower) && digits.Any(char.IsAsciiLetterUpper);
        if (mixed && address.ToString() != "0x" + digits)
        {
            throw new FormatException($"Address '{text}' has an invalid EIP-55 checksum.");
        }

        return address;
    }

    public static bool TryParse(string text, out Address address)
    {
        try
        {
            address = Parse(text);
            return true;
        }
        catch (FormatException)
        {
            address = default;
            return false;
        }
    }

    /// <summary>The address of an uncompressed public key (64 bytes X||Y): last 20 bytes of its Keccak-256.</summary>
    public static Address FromPublicKey(ReadOnlySpan<byte> publicKey64)
    {
        if (publicKey64.Length != 64)
        {
            throw new ArgumentException("Expected a 64-byte uncompressed public key without the 0x04 prefix.");
        }

        return new Address(Keccak.Hash(publicKey64).AsSpan(12));
    }

    /// <summary>EIP-55 mixed-case checksum encoding.</summary>
    public override string ToString()
    {
        var lower = Convert.ToHexStringLower(Bytes);
        var hash = Keccak.Hash(System.Text.Encoding.ASCII.GetBytes(lower));
        var chars = new char[2 + lower.Length];
        chars[0] = '0';
        chars[1] = 'x';
        for (var i = 0; i < lower.Length; i++)
        {
            var nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xF;
            chars[2 + i] = nibble >= 8 ? char.ToUpperInvariant(lower[i]) : lower[i];
        }

        return new string(chars);
    }

    public bool Equals(Address other) => Bytes.SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is Address other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Bytes);
        return hash.ToHashCode();
    }

    public static bool operator ==(Address left, Address right) => left.Equals(right);

    public static bool operator !=(Address left, Address right) => !left.Equals(right);

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
