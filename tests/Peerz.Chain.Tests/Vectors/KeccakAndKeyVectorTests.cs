using System.Numerics;
using System.Security.Cryptography;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Tests.Vectors;

public sealed class KeccakAndKeyVectorTests
{
    [Theory]
    // Keccak-256 of the empty string: the well-known KECCAK_EMPTY constant (Yellow Paper / geth crypto.Keccak256Hash(nil)).
    [InlineData("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")]
    // Keccak team reference outputs for Keccak-256 (pre-FIPS padding), widely reproduced e.g. in go-ethereum sha3 tests.
    [InlineData("The quick brown fox jumps over the lazy dog", "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")]
    [InlineData("The quick brown fox jumps over the lazy dog.", "578951e24efd62a3d63a86f7cd19aaa53c898fe287d2552133220370240b572d")]
    public void Keccak256_matches_published_digests(string input, string expected) =>
        Assert.Equal(expected, Convert.ToHexStringLower(Keccak.Hash(input)));

    [Theory]
    // EIP-55 specification, "Test Cases" (all caps, all lower, normal).
    [InlineData("0x52908400098527886E0F7030069857D2E4169EE7")]
    [InlineData("0x8617E340B3D01FA5F11F306F4090FD50E238070D")]
    [InlineData("0xde709f2102306220921060314715629080e2fb77")]
    [InlineData("0x27b1fdb04752bbc536007a920d24acb045561c26")]
    [InlineData("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]
    [InlineData("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")]
    [InlineData("0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB")]
    [InlineData("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb")]
    public void Eip55_checksums_round_trip(string address)
    {
        var parsed = Address.Parse(address);
        var mixed = address[2..].Any(char.IsAsciiLetterLower) && address[2..].Any(char.IsAsciiLetterUpper);
        if (mixed)
        {
            Assert.Equal(address, parsed.ToString());
        }

        Assert.Equal(address.ToLowerInvariant(), parsed.ToString().ToLowerInvariant());
    }

    [Fact]
    public void Wrong_checksum_is_rejected()
    {
        var ex = Assert.Throws<FormatException>(() => Address.Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));
        Assert.Contains("checksum", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0x1234")]
    [InlineData("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]
    [InlineData("0xZZAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]
    public void Malformed_addresses_are_rejected(string text) => Assert.Throws<FormatException>(() => Address.Parse(text));

    [Fact]
    public void Hardhat_account_zero_key_gives_its_published_address()
    {
        // Hardhat's first default account (mnemonic "test test test test test test test test test test test junk").
        var key = EthKey.FromHex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
        Assert.Equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", key.Address.ToString());
    }

    [Fact]
    public void Signatures_are_low_s_and_recover_the_signer()
    {
        var key = EthKey.Generate();
        var halfN = BigInteger.Parse("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0", System.Globalization.NumberStyles.HexNumber);
        for (var i = 0; i < 50; i++)
        {
            var hash = RandomNumberGenerator.GetBytes(32);
            var signature = key.Sign(hash);
            Assert.True(signature.S <= halfN);
            Assert.Equal(key.Address, EthKey.RecoverAddress(hash, signature));
            Assert.Equal(signature, key.Sign(hash));
        }
    }

    [Fact]
    public void Invalid_signatures_and_keys_give_clear_errors()
    {
        var hash = new byte[32];
        Assert.Throws<CryptographicException>(() => EthKey.RecoverAddress(hash, new EthSignature(0, 1, 0)));
        Assert.Throws<CryptographicException>(() => EthKey.RecoverAddress(hash, new EthSignature(1, BigInteger.One << 256, 0)));
        Assert.Throws<CryptographicException>(() => EthKey.RecoverAddress(hash, new EthSignature(1, 1, 5)));
        Assert.Throws<FormatException>(() => EthSignature.FromBytes(new byte[64]));
        var bad = new byte[65];
        bad[64] = 29;
        Assert.Throws<FormatException>(() => EthSignature.FromBytes(bad));
        Assert.Throws<ArgumentException>(() => new EthKey(new byte[32]));
        Assert.Throws<ArgumentException>(() => new EthKey(new byte[31]));
        Assert.Throws<ArgumentException>(() => EthKey.Generate().Sign(new byte[31]));
        Assert.Throws<FormatException>(() => Hex.Decode("0xabc"));
        Assert.Throws<FormatException>(() => Hex.Decode("0xgg"));
        Assert.Throws<FormatException>(() => Hex.DecodeQuantity("12"));
    }
}
