using Peerz.P2P.Tests.Infrastructure;

namespace Peerz.P2P.Tests.Crypto;

[Trait("Category", "JavaScript")]
public sealed class IdentityTests
{
    [Fact]
    public async Task KeysPeerIdsAndSignaturesMatchJsLibp2p()
    {
        var seed = new byte[32];
        Random.Shared.NextBytes(seed);
        var message = "noise-libp2p-static-key:"u8.ToArray();
        var js = await JsVectors.ComputeAsync(seed, message, []);
        var identity = Identity.FromSeed(seed);

        Assert.Equal(js["privateKeyProto"]!.GetValue<string>(), Convert.ToHexStringLower(identity.ToPrivateKeyProto()));
        Assert.Equal(js["publicKeyProto"]!.GetValue<string>(), Convert.ToHexStringLower(identity.PublicKeyProto));
        Assert.Equal(js["peerId"]!.GetValue<string>(), identity.PeerId.ToString());
        Assert.Equal(js["cid"]!.GetValue<string>(), identity.PeerId.ToCidString());
        Assert.Equal(js["signature"]!.GetValue<string>(), Convert.ToHexStringLower(identity.Sign(message)));
        Assert.Equal(identity.PeerId, PeerId.Parse(js["cid"]!.GetValue<string>()));
        Assert.Equal(identity.PeerId, PeerId.Parse(js["peerId"]!.GetValue<string>()));
    }

    [Fact]
    public void DecodesTheSpecTestVector()
    {
        // libp2p/specs peer-ids/peer-ids.md, "Test vectors": Ed25519 private and public key protobufs.
        var identity = Identity.FromPrivateKeyProto(Convert.FromHexString(
            "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"));
        Assert.Equal("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e", Convert.ToHexStringLower(identity.PublicKeyProto));
    }

    [Fact]
    public void SignsLikeRfc8032TestVector1()
    {
        // RFC 8032 section 7.1, TEST 1 (empty message).
        var identity = Identity.FromSeed(Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        Assert.Equal("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", Convert.ToHexStringLower(identity.PublicKeyProto.AsSpan(4)));
        var signature = identity.Sign([]);
        Assert.Equal("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            Convert.ToHexStringLower(signature));
        Assert.True(Identity.Verify(identity.PublicKeyProto, [], signature));
        signature[0] ^= 1;
        Assert.False(Identity.Verify(identity.PublicKeyProto, [], signature));
        Assert.False(Identity.Verify([1, 2, 3], [], signature));
    }

    [Fact]
    public void KeyFileRoundTripsWithOwnerOnlyPermissions()
    {
        var path = Path.Combine(Path.GetTempPath(), $"peerz-key-{Guid.NewGuid():N}");
        try
        {
            var identity = Identity.Generate();
            identity.Save(path);
            Assert.Equal(identity.PeerId, Identity.Load(path).PeerId);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
            File.WriteAllBytes(path, [8, 1, 18, 3, 1, 2, 3]);
            Assert.Throws<FormatException>(() => Identity.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("0OIl")]
    [InlineData("QmShort")]
    [InlineData("bafzbeigarbage")]
    public void RejectsInvalidPeerIdText(string text) => Assert.Throws<FormatException>(() => PeerId.Parse(text));
}
