using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Peerz.Chain.Wallet;

/// <summary>
/// scrypt (RFC 7914) on top of .NET's PBKDF2-HMAC-SHA256. Written here because BouncyCastle refuses N ≥ 2^16
/// with r = 1, which the Web3 Secret Storage test vector (and files written by old tools) use.
/// </summary>
internal static class Scrypt
{
    public static byte[] Derive(byte[] password, byte[] salt, int n, int r, int p, int length)
    {
        var blockWords = 32 * r;
        var b = Rfc2898DeriveBytes.Pbkdf2(password, salt, 1, HashAlgorithmName.SHA256, p * 128 * r);
        var x = new uint[blockWords];
        var v = new uint[blockWords * n];
        var scratch = new uint[blockWords];
        for (var i = 0; i < p; i++)
        {
            var chunk = b.AsSpan(i * 128 * r, 128 * r);
            for (var w = 0; w < blockWords; w++)
            {
                x[w] = BinaryPrimitives.ReadUInt32LittleEndian(chunk[(4 * w)..]);
            }

            RoMix(x, v, scratch, n, r);
            for (var w = 0; w < blockWords; w++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(chunk[(4 * w)..], x[w]);
            }
        }

        return Rfc2898DeriveBytes.Pbkdf2(password, b, 1, HashAlgorithmName.SHA256, length);
    }

    private static void RoMix(uint[] x, uint[] v, uint[] scratch, int n, int r)
    {
        var blockWords = x.Length;
        for (var i = 0; i < n; i++)
        {
            x.CopyTo(v, i * blockWords);
            BlockMix(x, scratch, r);
        }

        for (var i = 0; i < n; i++)
        {
            var j = (int)(x[blockWords - 16] & (uint)(n - 1));
            for (var w = 0; w < blockWords; w++)
            {
                x[w] ^= v[j * blockWords + w];
            }

            BlockMix(x, scratch, r);
        }
    }

    private static void BlockMix(uint[] b, uint[] y, int r)
    {
        Span<uint> t = stackalloc uint[16];
        b.AsSpan((2 * r - 1) * 16, 16).CopyTo(t);
        for (var i = 0; i < 2 * r; i++)
        {
            for (var w = 0; w < 16; w++)
            {
                t[w] ^= b[i * 16 + w];
            }

            Salsa20Core8(t);
            // Even blocks go to the first half of the output, odd blocks to the second half.
            var destination = (i % 2 == 0 ? i / 2 : r + i / 2) * 16;
            t.CopyTo(y.AsSpan(destination, 16));
        }

        y.CopyTo(b, 0);
    }

    // Salsa20/8 core on locals: array indexing in the 80 quarter-round steps dominated the cost otherwise.
    private static void Salsa20Core8(Span<uint> b)
    {
        uint x0 = b[0], x1 = b[1], x2 = b[2], x3 = b[3], x4 = b[4], x5 = b[5], x6 = b[6], x7 = b[7];
        uint x8 = b[8], x9 = b[9], x10 = b[10], x11 = b[11], x12 = b[12], x13 = b[13], x14 = b[14], x15 = b[15];
        for (var i = 0; i < 8; i += 2)
        {
            x4 ^= BitOperations.RotateLeft(x0 + x12, 7); x8 ^= BitOperations.RotateLeft(x4 + x0, 9);
            x12 ^= BitOperations.RotateLeft(x8 + x4, 13); x0 ^= BitOperations.RotateLeft(x12 + x8, 18);
            x9 ^= BitOperations.RotateLeft(x5 + x1, 7); x13 ^= BitOperations.RotateLeft(x9 + x5, 9);
            x1 ^= BitOperations.RotateLeft(x13 + x9, 13); x5 ^= BitOperations.RotateLeft(x1 + x13, 18);
            x14 ^= BitOperations.RotateLeft(x10 + x6, 7); x2 ^= BitOperations.RotateLeft(x14 + x10, 9);
            x6 ^= BitOperations.RotateLeft(x2 + x14, 13); x10 ^= BitOperations.RotateLeft(x6 + x2, 18);
            x3 ^= BitOperations.RotateLeft(x15 + x11, 7); x7 ^= BitOperations.RotateLeft(x3 + x15, 9);
            x11 ^= BitOperations.RotateLeft(x7 + x3, 13); x15 ^= BitOperations.RotateLeft(x11 + x7, 18);
            x1 ^= BitOperations.RotateLeft(x0 + x3, 7); x2 ^= BitOperations.RotateLeft(x1 + x0, 9);
            x3 ^= BitOperations.RotateLeft(x2 + x1, 13); x0 ^= BitOperations.RotateLeft(x3 + x2, 18);
            x6 ^= BitOperations.RotateLeft(x5 + x4, 7); x7 ^= BitOperations.RotateLeft(x6 + x5, 9);
            x4 ^= BitOperations.RotateLeft(x7 + x6, 13); x5 ^= BitOperations.RotateLeft(x4 + x7, 18);
            x11 ^= BitOperations.RotateLeft(x10 + x9, 7); x8 ^= BitOperations.RotateLeft(x11 + x10, 9);
            x9 ^= BitOperations.RotateLeft(x8 + x11, 13); x10 ^= BitOperations.RotateLeft(x9 + x8, 18);
            x12 ^= BitOperations.RotateLeft(x15 + x14, 7); x13 ^= BitOperations.RotateLeft(x12 + x15, 9);
            x14 ^= BitOperations.RotateLeft(x13 + x12, 13); x15 ^= BitOperations.RotateLeft(x14 + x13, 18);
        }

        b[0] += x0; b[1] += x1; b[2] += x2; b[3] += x3; b[4] += x4; b[5] += x5; b[6] += x6; b[7] += x7;
        b[8] += x8; b[9] += x9; b[10] += x10; b[11] += x11; b[12] += x12; b[13] += x13; b[14] += x14; b[15] += x15;
    }
}
