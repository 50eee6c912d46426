using Peerz.Chain.Crypto;
using Peerz.Chain.Wallet;

namespace Peerz.Chain.Tests.Vectors;

// Web3 Secret Storage Definition (ethereum.org / ethereum wiki), "Test Vectors": password "testpassword",
// secret 7a28b5ba…fe9d, address 008aeeda4d805471df9b2a5b0f38a0c3bcba786b.
public sealed class KeystoreVectorTests
{
    private const string Secret = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

    private const string Pbkdf2Vector = """
        {"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"6087dab2f9fdbbfaddc31a909735c1e6"},
        "ciphertext":"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46","kdf":"pbkdf2",
        "kdfparams":{"c":262144,"dklen":32,"prf":"hmac-sha256","salt":"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"},
        "mac":"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"},"id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3}
        """;

    private const string ScryptVector = """
        {"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"83dbcc02d8ccb40e466191a123791e0e"},
        "ciphertext":"d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c","kdf":"scrypt",
        "kdfparams":{"dklen":32,"n":262144,"r":1,"p":8,"salt":"ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"},
        "mac":"2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"},"id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3}
        """;

    [Theory]
    [InlineData(Pbkdf2Vector)]
    [InlineData(ScryptVector)]
    public void Published_vectors_decrypt_to_the_published_secret(string json)
    {
        var key = Keystore.Decrypt(json, "testpassword");
        Assert.Equal(Secret, "0x" + Convert.ToHexStringLower(key.ExportPrivateKey()));
        Assert.Equal("0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b", key.Address.ToString().ToLowerInvariant());
    }

    [Fact]
    public void Encrypting_with_the_vector_parameters_reproduces_the_published_file()
    {
        var json = Keystore.Encrypt(
            EthKey.FromHex(Secret), "testpassword", new Pbkdf2Kdf(262144),
            Convert.FromHexString("ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"),
            Convert.FromHexString("6087dab2f9fdbbfaddc31a909735c1e6"), Guid.Parse("3198bc9c-6672-5ab3-d995-4942343ae5b6"));
        Assert.Contains("\"ciphertext\":\"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46\"", json, StringComparison.Ordinal);
        Assert.Contains("\"mac\":\"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_password_is_reported_as_such()
    {
        var ex = Assert.Throws<KeystoreException>(() => Keystore.Decrypt(Pbkdf2Vector, "wrong"));
        Assert.True(ex.WrongPassword);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"version\":3}")]
    [InlineData("{\"version\":3,\"crypto\":{\"cipher\":\"aes-128-cbc\"}}")]
    public void Damaged_files_are_reported(string json)
    {
        var ex = Assert.Throws<KeystoreException>(() => Keystore.Decrypt(json, "x"));
        Assert.False(ex.WrongPassword);
    }

    [Fact]
    public void Hostile_kdf_parameters_are_refused_before_any_work()
    {
        var hostile = ScryptVector.Replace("\"n\":262144", "\"n\":1073741824", StringComparison.Ordinal);
        var ex = Assert.Throws<KeystoreException>(() => Keystore.Decrypt(hostile, "testpassword"));
        Assert.Contains("scrypt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Written_keystores_round_trip()
    {
        var key = EthKey.Generate();
        var json = Keystore.Encrypt(key, "pässword", KeystoreKdf.LightScrypt);
        Assert.Equal(key.Address, Keystore.Decrypt(json, "pässword").Address);
    }
}
