using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Wallet;

/// <summary>
/// Web3 Secret Storage (keystore v3): scrypt or PBKDF2-HMAC-SHA256, AES-128-CTR, MAC = keccak(DK[16..32] ‖ ciphertext).
/// Compatible with geth and ethers. KDF parameters from a file are bounded so a hostile file cannot
/// demand unbounded memory or time.
/// </summary>
public static class Keystore
{
    public const int MaxFileLength = 64 * 1024;
    private const long MaxScryptMemory = 256L * 1024 * 1024;
    private const int MaxPbkdf2Iterations = 10_000_000;

    public static string Encrypt(EthKey key, string password, KeystoreKdf? kdf = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(password);
        kdf ??= KeystoreKdf.StandardScrypt;
        var salt = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(16);
        return Encrypt(key, password, kdf, salt, iv, Guid.NewGuid());
    }

    /// <summary>Deterministic variant (fixed salt, IV and id) for reproducing published vectors.</summary>
    public static string Encrypt(EthKey key, string password, KeystoreKdf kdf, byte[] salt, byte[] iv, Guid id)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(kdf);
        var derived = Derive(kdf, Password(password), salt, 32);
        var ciphertext = AesCtr(derived[..16], iv, key.ExportPrivateKey());
        var mac = Keccak.Hash([.. derived[16..32], .. ciphertext]);
        var kdfParams = kdf switch
        {
            ScryptKdf s => new JsonObject { ["dklen"] = 32, ["n"] = s.N, ["r"] = s.R, ["p"] = s.P, ["salt"] = Hex(salt) },
            Pbkdf2Kdf p => new JsonObject { ["dklen"] = 32, ["c"] = p.Iterations, ["prf"] = "hmac-sha256", ["salt"] = Hex(salt) },
            _ => throw new ArgumentException($"Unsupported KDF {kdf}."),
        };
        var json = new JsonObject
        {
            ["address"] = Convert.ToHexStringLower(key.Address.Bytes),
            ["id"] = id.ToString(),
            ["version"] = 3,
            ["crypto"] = new JsonObject
            {
                ["cipher"] = "aes-128-ctr",
                ["cipherparams"] = new JsonObject { ["iv"] = Hex(iv) },
                ["ciphertext"] = Hex(ciphertext),
                ["kdf"] = kdf is ScryptKdf ? "scrypt" : "pbkdf2",
                ["kdfparams"] = kdfParams,
                ["mac"] = Hex(mac),
            },
        };
        return json.ToJsonString();
    }

    /// <summary>Decrypts a keystore; throws <see cref="KeystoreException"/> for a damaged file or a wrong password.</summary>
    public static EthKey Decrypt(string json, string password)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(password);
        if (json.Length > MaxFileLength)
        {
            throw new KeystoreException($"Keystore larger than {MaxFileLength} characters.");
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            return Decrypt(document.RootElement, password);
        }
        catch (JsonException e)
        {
            throw new KeystoreException($"Keystore is not valid JSON: {e.Message}");
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            throw new KeystoreException($"Keystore is damaged: {e.Message}");
        }
    }

    private static EthKey Decrypt(JsonElement root, string password)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new KeystoreException("Keystore must be a JSON object.");
        }

        if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != 3)
        {
            throw new KeystoreException("Only keystore version 3 is supported.");
        }

        var crypto = root.TryGetProperty("crypto", out var lower) ? lower
            : root.TryGetProperty("Crypto", out var upper) ? upper
            : throw new KeystoreException("Keystore has no 'crypto' section.");
        var cipher = Text(crypto, "cipher");
        if (cipher != "aes-128-ctr")
        {
            throw new KeystoreException($"Unsupported cipher '{cipher}' (only aes-128-ctr).");
        }

        var iv = HexField(crypto.GetProperty("cipherparams"), "iv");
        if (iv.Length != 16)
        {
            throw new KeystoreException($"AES-128-CTR IV must be 16 bytes, got {iv.Length}.");
        }

        var ciphertext = HexField(crypto, "ciphertext");
        if (ciphertext.Length != 32)
        {
            throw new KeystoreException($"Ciphertext must hold a 32-byte key, got {ciphertext.Length} bytes.");
        }

        var mac = HexField(crypto, "mac");
        var kdfParams = crypto.GetProperty("kdfparams");
        var dkLength = Int(kdfParams, "dklen");
        if (dkLength is < 32 or > 64)
        {
            throw new KeystoreException($"dklen must be 32..64, got {dkLength}.");
        }

        var salt = HexField(kdfParams, "salt");
        var kdf = Text(crypto, "kdf") switch
        {
            "scrypt" => (KeystoreKdf)new ScryptKdf(Int(kdfParams, "n"), Int(kdfParams, "r"), Int(kdfParams, "p")),
            "pbkdf2" => Text(kdfParams, "prf") == "hmac-sha256"
                ? new Pbkdf2Kdf(Int(kdfParams, "c"))
                : throw new KeystoreException("PBKDF2 prf must be hmac-sha256."),
            var other => throw new KeystoreException($"Unsupported kdf '{other}'."),
        };
        var derived = Derive(kdf, Password(password), salt, dkLength);
        var expected = Keccak.Hash([.. derived[16..32], .. ciphertext]);
        if (!CryptographicOperations.FixedTimeEquals(expected, mac))
        {
            throw new KeystoreException("Wrong password (keystore MAC does not match).", wrongPassword: true);
        }

        try
        {
            return new EthKey(AesCtr(derived[..16], iv, ciphertext));
        }
        catch (ArgumentException e)
        {
            throw new KeystoreException($"Keystore decrypts to an invalid private key: {e.Message}");
        }
    }

    private static byte[] Derive(KeystoreKdf kdf, byte[] password, byte[] salt, int length)
    {
        switch (kdf)
        {
            case ScryptKdf s:
                if (s.N < 2 || (s.N & (s.N - 1)) != 0 || s.R < 1 || s.P < 1 || s.R > 64 || s.P > 64
                    || 128L * s.N * s.R > MaxScryptMemory || (long)s.R * s.P >= 1 << 30)
                {
                    throw new KeystoreException($"scrypt parameters n={s.N} r={s.R} p={s.P} are invalid or exceed {MaxScryptMemory >> 20} MiB.");
                }

                return Scrypt.Derive(password, salt, s.N, s.R, s.P, length);
            case Pbkdf2Kdf p:
                if (p.Iterations is < 1 or > MaxPbkdf2Iterations)
                {
                    throw new KeystoreException($"PBKDF2 iteration count {p.Iterations} is outside 1..{MaxPbkdf2Iterations}.");
                }

                return Rfc2898DeriveBytes.Pbkdf2(password, salt, p.Iterations, HashAlgorithmName.SHA256, length);
            default:
                throw new ArgumentException($"Unsupported KDF {kdf}.");
        }
    }

    // .NET has no CTR mode; CTR is AES-ECB over a big-endian 128-bit counter starting at the IV.
    private static byte[] AesCtr(byte[] key, byte[] iv, byte[] input)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        var counter = (byte[])iv.Clone();
        var output = new byte[input.Length];
        var keystream = new byte[16];
        for (var offset = 0; offset < input.Length; offset += 16)
        {
            aes.EncryptEcb(counter, keystream, PaddingMode.None);
            var n = Math.Min(16, input.Length - offset);
            for (var i = 0; i < n; i++)
            {
                output[offset + i] = (byte)(input[offset + i] ^ keystream[i]);
            }

            for (var i = 15; i >= 0 && ++counter[i] == 0; i--)
            {
            }
        }

        return output;
    }

    // ethers normalises passwords to NFKC so the same password typed differently opens the same file.
    private static byte[] Password(string password) => Encoding.UTF8.GetBytes(password.Normalize(NormalizationForm.FormKC));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new KeystoreException($"Keystore field '{name}' is null.");

    private static byte[] HexField(JsonElement element, string name) => Primitives.Hex.Decode(Text(element, name));

    private static int Int(JsonElement element, string name)
    {
        var property = element.GetProperty(name);
        return property.ValueKind == JsonValueKind.Number && property.TryGetInt32(out var value)
            ? value
            : throw new KeystoreException($"Keystore field '{name}' must be a 32-bit integer, got {property.GetRawText()}.");
    }
}
