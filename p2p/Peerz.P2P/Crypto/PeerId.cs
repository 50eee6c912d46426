using System.Security.Cryptography;
using Peerz.P2P.Encoding;

namespace Peerz.P2P;

/// <summary>A libp2p peer id: the multihash of the protobuf-encoded public key (identity multihash when ≤ 42 bytes).</summary>
public sealed record PeerId
{
    private const int MaxInlineKeyLength = 42;
    private const byte IdentityHash = 0x00;
    private const byte Sha256Hash = 0x12;
    private const byte CidVersion1 = 0x01;
    private const byte LibP2pKeyCodec = 0x72;

    private readonly byte[] _bytes;

    private PeerId(byte[] bytes) => _bytes = bytes;

    /// <summary>The multihash bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    public byte[] ToBytes() => (byte[])_bytes.Clone();

    public static PeerId FromPublicKey(ReadOnlySpan<byte> publicKeyProto)
    {
        if (publicKeyProto.Length <= MaxInlineKeyLength)
        {
            return new PeerId([IdentityHash, (byte)publicKeyProto.Length, .. publicKeyProto]);
        }
        return new PeerId([Sha256Hash, 32, .. SHA256.HashData(publicKeyProto)]);
    }

    /// <summary>Validates and wraps multihash bytes (identity or sha2-256).</summary>
    public static PeerId FromBytes(ReadOnlySpan<byte> multihash)
    {
        var code = Varint.Read(multihash, out var n1);
        var length = Varint.Read(multihash[n1..], out var n2);
        if (code is not (IdentityHash or Sha256Hash) || (ulong)(multihash.Length - n1 - n2) != length
            || (code == Sha256Hash && length != 32) || (code == IdentityHash && length > MaxInlineKeyLength))
        {
            throw new FormatException("peer id is not an identity or sha2-256 multihash");
        }
        return new PeerId(multihash.ToArray());
    }

    /// <summary>Parses the base58btc form ("12D3KooW…", "Qm…") or the CIDv1 libp2p-key form ("bafzaa…").</summary>
    public static PeerId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith('b'))
        {
            var cid = Base32.Decode(text[1..]);
            if (cid.Length < 2 || cid[0] != CidVersion1 || cid[1] != LibP2pKeyCodec)
            {
                throw new FormatException("CID is not a v1 libp2p-key CID");
            }
            return FromBytes(cid.AsSpan(2));
        }
        return FromBytes(Base58.Decode(text));
    }

    /// <summary>The public key protobuf embedded in an identity multihash, or null for hashed ids.</summary>
    public byte[]? TryGetPublicKey() => _bytes[0] == IdentityHash ? _bytes[2..] : null;

    public string ToCidString() => "b" + Base32.Encode([CidVersion1, LibP2pKeyCodec, .. _bytes]);

    public override string ToString() => Base58.Encode(_bytes);

    public bool Equals(PeerId? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }
}
