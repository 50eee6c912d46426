using Peerz.Chain.Wallet;

namespace Peerz.Chain.Tests.Vectors;

// RFC 7914 section 12, "Test Vectors for scrypt" (the first two; the others take minutes).
public sealed class ScryptVectorTests
{
    [Theory]
    [InlineData("", "", 16, 1, 1, "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")]
    [InlineData("password", "NaCl", 1024, 8, 16, "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")]
    public void Matches_rfc_7914(string password, string salt, int n, int r, int p, string expected)
    {
        var derived = Scrypt.Derive(System.Text.Encoding.ASCII.GetBytes(password), System.Text.Encoding.ASCII.GetBytes(salt), n, r, p, 64);
        Assert.Equal(expected, Convert.ToHexStringLower(derived));
    }
}
