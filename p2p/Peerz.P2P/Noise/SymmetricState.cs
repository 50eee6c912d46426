using System.Security.Cryptography;

namespace Peerz.P2P.Noise;

/// <summary>Noise SymmetricState (section 5.2 of the Noise spec) for SHA-256 and ChaChaPoly.</summary>
internal sealed class SymmetricState : IDisposable
{
    // Exactly 32 bytes, so h is the name itself (Noise spec 5.2 InitializeSymmetric).
    private static readonly byte[] ProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256"u8.ToArray();

    private byte[] _ck;
    private byte[] _h;
    private CipherState? _cipher;

    public SymmetricState()
    {
        _h = (byte[])ProtocolName.Clone();
        _ck = (byte[])ProtocolName.Clone();
        MixHash([]); // empty prologue
    }

    public void MixHash(ReadOnlySpan<byte> data) => _h = SHA256.HashData([.. _h, .. data]);

    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        var (ck, k) = Hkdf2(_ck, inputKeyMaterial);
        _ck = ck;
        _cipher?.Dispose();
        _cipher = new CipherState(k);
    }

    public byte[] EncryptAndHash(ReadOnlySpan<byte> plaintext)
    {
        byte[] output;
        if (_cipher is null)
        {
            output = plaintext.ToArray();
        }
        else
        {
            output = new byte[plaintext.Length + CipherState.TagSize];
            _cipher.Encrypt(_h, plaintext, output);
        }
        MixHash(output);
        return output;
    }

    public byte[] DecryptAndHash(ReadOnlySpan<byte> ciphertext)
    {
        byte[] output;
        if (_cipher is null)
        {
            output = ciphertext.ToArray();
        }
        else
        {
            if (ciphertext.Length < CipherState.TagSize)
            {
                throw new InvalidDataException("noise handshake ciphertext truncated");
            }
            output = new byte[ciphertext.Length - CipherState.TagSize];
            _cipher.Decrypt(_h, ciphertext, output);
        }
        MixHash(ciphertext);
        return output;
    }

    /// <summary>Returns (initiator→responder, responder→initiator) cipher states.</summary>
    public (CipherState First, CipherState Second) Split()
    {
        var (k1, k2) = Hkdf2(_ck, []);
        return (new CipherState(k1), new CipherState(k2));
    }

    public void Dispose() => _cipher?.Dispose();

    // Noise spec 4.3 HKDF with two outputs (RFC 5869 with salt = chaining key, empty info). Written with HMAC
    // directly because OpenSSL's HKDF rejects the empty input key material that Split() uses.
    private static (byte[], byte[]) Hkdf2(byte[] chainingKey, ReadOnlySpan<byte> inputKeyMaterial)
    {
        var tempKey = HMACSHA256.HashData(chainingKey, inputKeyMaterial);
        var output1 = HMACSHA256.HashData(tempKey, new byte[] { 0x01 });
        var output2 = HMACSHA256.HashData(tempKey, (byte[])[.. output1, 0x02]);
        return (output1, output2);
    }
}
