using Org.BouncyCastle.Math.EC.Rfc8032;
using Peerz.P2P.Crypto;

namespace Peerz.P2P;

/// <summary>An Ed25519 libp2p identity. The key file holds the protobuf PrivateKey (seed ‖ public key), mode 0600.</summary>
public sealed class Identity
{
    private readonly byte[] _seed;
    private readonly byte[] _publicKey;

    private Identity(byte[] seed)
    {
        _seed = seed;
        _publicKey = new byte[Ed25519.PublicKeySize];
        Ed25519.GeneratePublicKey(seed, 0, _publicKey, 0);
        PublicKeyProto = Crypto.PublicKeyProto.Encode(_publicKey);
        PeerId = PeerId.FromPublicKey(PublicKeyProto);
    }

    public PeerId PeerId { get; }

    /// <summary>The protobuf-encoded PublicKey, as sent in noise and identify.</summary>
    public byte[] PublicKeyProto { get; }

    public static Identity Generate()
    {
        return new Identity(System.Security.Cryptography.RandomNumberGenerator.GetBytes(Ed25519.SecretKeySize));
    }

    public static Identity FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519.SecretKeySize)
        {
            throw new ArgumentException("Ed25519 seed must be 32 bytes", nameof(seed));
        }
        return new Identity(seed.ToArray());
    }

    /// <summary>Decodes a protobuf PrivateKey (libp2p stores Ed25519 private keys as seed ‖ public key).</summary>
    public static Identity FromPrivateKeyProto(ReadOnlySpan<byte> proto)
    {
        var data = Crypto.PublicKeyProto.DecodeEd25519(proto, Ed25519.SecretKeySize + Ed25519.PublicKeySize);
        var identity = new Identity(data[..Ed25519.SecretKeySize]);
        if (!identity._publicKey.AsSpan().SequenceEqual(data.AsSpan(Ed25519.SecretKeySize)))
        {
            throw new FormatException("private key file: public half does not match the seed");
        }
        return identity;
    }

    public byte[] ToPrivateKeyProto() => Crypto.PublicKeyProto.Encode([.. _seed, .. _publicKey]);

    public static Identity Load(string path)
    {
        var info = new FileInfo(path);
        if (info.Length > 1024)
        {
            throw new FormatException("key file too large");
        }
        return FromPrivateKeyProto(File.ReadAllBytes(path));
    }

    /// <summary>Writes the key file readable by the owner only (created with mode 0600 on Unix).</summary>
    public void Save(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(path, options))
        {
            file.Write(ToPrivateKeyProto());
        }
        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode only applies to new files; tighten an existing file too.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var signature = new byte[Ed25519.SignatureSize];
        Ed25519.Sign(_seed, 0, data.ToArray(), 0, data.Length, signature, 0);
        return signature;
    }

    /// <summary>Verifies an Ed25519 signature by the key in a protobuf PublicKey; false for malformed keys or signatures.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKeyProto, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        byte[] key;
        try
        {
            key = Crypto.PublicKeyProto.DecodeEd25519(publicKeyProto, Ed25519.PublicKeySize);
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException)
        {
            return false;
        }
        if (signature.Length != Ed25519.SignatureSize)
        {
            return false;
        }
        return Ed25519.Verify(signature.ToArray(), 0, key, 0, data.ToArray(), 0, data.Length);
    }
}
