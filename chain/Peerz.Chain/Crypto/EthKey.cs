using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math.EC;
using Peerz.Chain.Primitives;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;
using BigInteger = System.Numerics.BigInteger;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;

namespace Peerz.Chain.Crypto;

/// <summary>
/// A secp256k1 private key: deterministic (RFC 6979) low-s signatures with recovery id, and its address.
/// </summary>
public sealed class EthKey
{
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
    private static readonly ECDomainParameters Domain = new(Curve.Curve, Curve.G, Curve.N, Curve.H);
    private static readonly BcBigInteger HalfN = Curve.N.ShiftRight(1);

    private readonly ECPrivateKeyParameters _privateKey;

    public EthKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != 32)
        {
            throw new ArgumentException($"A private key is 32 bytes, got {privateKey.Length}.", nameof(privateKey));
        }

        var d = new BcBigInteger(1, privateKey.ToArray());
        if (d.SignValue == 0 || d.CompareTo(Curve.N) >= 0)
        {
            throw new ArgumentException("Private key is outside the secp256k1 range [1, n-1].", nameof(privateKey));
        }

        _privateKey = new ECPrivateKeyParameters(d, Domain);
        PublicKey = EncodePublicKey(Domain.G.Multiply(d).Normalize());
        Address = Address.FromPublicKey(PublicKey);
    }

    public static EthKey FromHex(string hex) => new(Hex.Decode(hex, 32));

    public static EthKey Generate()
    {
        Span<byte> bytes = stackalloc byte[32];
        while (true)
        {
            RandomNumberGenerator.Fill(bytes);
            var d = new BcBigInteger(1, bytes.ToArray());
            if (d.SignValue > 0 && d.CompareTo(Curve.N) < 0)
            {
                return new EthKey(bytes);
            }
        }
    }

    /// <summary>Uncompressed public key X || Y (64 bytes, no 0x04 prefix).</summary>
    public byte[] PublicKey { get; }

    public Address Address { get; }

    public byte[] ExportPrivateKey() => _privateKey.D.ToByteArrayUnsigned().PadLeftTo(32);

    /// <summary>Signs a 32-byte hash with an RFC 6979 nonce; s is normalised to the lower half (EIP-2).</summary>
    public EthSignature Sign(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != 32)
        {
            throw new ArgumentException($"Sign a 32-byte hash, got {hash.Length} bytes.", nameof(hash));
        }

        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, _privateKey);
        var hashBytes = hash.ToArray();
        var rs = signer.GenerateSignature(hashBytes);
        var r = rs[0];
        var s = rs[1].CompareTo(HalfN) > 0 ? Curve.N.Subtract(rs[1]) : rs[1];
        for (var recoveryId = 0; recoveryId < 2; recoveryId++)
        {
            var q = RecoverPoint(hashBytes, r, s, recoveryId);
            if (q is not null && EncodePublicKey(q).AsSpan().SequenceEqual(PublicKey))
            {
                return new EthSignature(ToSystem(r), ToSystem(s), recoveryId);
            }
        }

        throw new CryptographicException("Could not determine the recovery id of a fresh signature.");
    }

    /// <summary>Recovers the signer's address; throws <see cref="CryptographicException"/> for an invalid signature.</summary>
    public static Address RecoverAddress(ReadOnlySpan<byte> hash, EthSignature signature) =>
        Address.FromPublicKey(RecoverPublicKey(hash, signature));

    /// <summary>
    /// The signer's address, or null for a signature that recovers to no key (out-of-range r or s, a bad recovery
    /// id, or a point the curve library refuses): for checks where such a signature simply matches no one.
    /// </summary>
    public static Address? TryRecoverAddress(ReadOnlySpan<byte> hash, EthSignature signature)
    {
        try
        {
            return RecoverAddress(hash, signature);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or ArithmeticException)
        {
            return null;
        }
    }

    /// <summary>Recovers the 64-byte public key of a signature over <paramref name="hash"/>.</summary>
    public static byte[] RecoverPublicKey(ReadOnlySpan<byte> hash, EthSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        if (hash.Length != 32)
        {
            throw new ArgumentException($"Expected a 32-byte hash, got {hash.Length} bytes.", nameof(hash));
        }

        var r = ToBouncy(signature.R);
        var s = ToBouncy(signature.S);
        if (r.SignValue <= 0 || r.CompareTo(Curve.N) >= 0 || s.SignValue <= 0 || s.CompareTo(Curve.N) >= 0)
        {
            throw new CryptographicException("Signature r and s must lie in [1, n-1].");
        }

        if (signature.RecoveryId is not (0 or 1))
        {
            throw new CryptographicException($"Recovery id must be 0 or 1, got {signature.RecoveryId}.");
        }

        var q = RecoverPoint(hash.ToArray(), r, s, signature.RecoveryId)
            ?? throw new CryptographicException("Signature does not correspond to any public key.");
        return EncodePublicKey(q);
    }

    // SEC 1 v2 §4.1.6, restricted to x = r (the r + n candidates are astronomically unlikely and rejected by
    // Ethereum, whose v only carries the parity bit).
    private static ECPoint? RecoverPoint(byte[] hash, BcBigInteger r, BcBigInteger s, int recoveryId)
    {
        var p = Curve.Curve.Field.Characteristic;
        if (r.CompareTo(p) >= 0)
        {
            return null;
        }

        var encoded = new byte[33];
        encoded[0] = (byte)(0x02 | recoveryId);
        var xBytes = r.ToByteArrayUnsigned();
        xBytes.CopyTo(encoded, 33 - xBytes.Length);
        ECPoint point;
        try
        {
            point = Curve.Curve.DecodePoint(encoded);
        }
        catch (ArgumentException)
        {
            return null;
        }

        var n = Curve.N;
        var e = new BcBigInteger(1, hash);
        var rInverse = r.ModInverse(n);
        var u1 = n.Subtract(e).Mod(n).Multiply(rInverse).Mod(n);
        var u2 = s.Multiply(rInverse).Mod(n);
        var q = ECAlgorithms.SumOfTwoMultiplies(Curve.G, u1, point, u2).Normalize();
        return q.IsInfinity ? null : q;
    }

    private static byte[] EncodePublicKey(ECPoint point) => point.GetEncoded(false)[1..];

    private static BigInteger ToSystem(BcBigInteger value) =>
        new(value.ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true);

    private static BcBigInteger ToBouncy(BigInteger value) =>
        value.Sign < 0 ? BcBigInteger.One.Negate() : new BcBigInteger(1, value.ToByteArray(isUnsigned: true, isBigEndian: true));
}
