namespace Peerz.Chain.Wallet;

/// <summary>Key derivation settings for writing a keystore.</summary>
public abstract record KeystoreKdf
{
    /// <summary>geth's "standard" scrypt parameters (n = 2^18, r = 8, p = 1: about 256 MiB and a second or two).</summary>
    public static KeystoreKdf StandardScrypt { get; } = new ScryptKdf(1 << 18, 8, 1);

    /// <summary>geth's "light" scrypt parameters (n = 2^12, r = 8, p = 6), for tests and constrained devices.</summary>
    public static KeystoreKdf LightScrypt { get; } = new ScryptKdf(1 << 12, 8, 6);
}

public sealed record ScryptKdf(int N, int R, int P) : KeystoreKdf;

public sealed record Pbkdf2Kdf(int Iterations) : KeystoreKdf;
