using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Peerz.P2P.Noise;

/// <summary>Noise CipherState for ChaChaPoly: 96-bit nonce = 32 zero bits ‖ 64-bit little-endian counter.</summary>
internal sealed class CipherState : IDisposable
{
    public const int TagSize = 16;

    private readonly ChaCha20Poly1305 _aead;
    private ulong _nonce;

    public CipherState(ReadOnlySpan<byte> key) => _aead = new ChaCha20Poly1305(key);

    public void Encrypt(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertextAndTag)
    {
        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        _aead.Encrypt(nonce, plaintext, ciphertextAndTag[..plaintext.Length], ciphertextAndTag.Slice(plaintext.Length, TagSize), ad);
    }

    /// <summary>
    /// Decrypts; plaintext may start exactly where the ciphertext does (in place, as the transport does).
    /// Throws <see cref="AuthenticationTagMismatchException"/> on tampering.
    /// </summary>
    public void Decrypt(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> plaintext)
    {
        if (ciphertextAndTag.Length < TagSize)
        {
            throw new InvalidDataException("noise ciphertext shorter than its tag");
        }
        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        var body = ciphertextAndTag[..^TagSize];
        _aead.Decrypt(nonce, body, ciphertextAndTag[^TagSize..], plaintext[..body.Length], ad);
    }

    public void Dispose() => _aead.Dispose();

    private void NextNonce(Span<byte> nonce)
    {
        if (_nonce == ulong.MaxValue)
        {
            throw new InvalidOperationException("noise nonce exhausted");
        }
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], _nonce++);
    }
}
