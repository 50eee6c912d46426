using Peerz.P2P.Tests.Infrastructure;

namespace Peerz.P2P.Tests.Addressing;

[Trait("Category", "JavaScript")]
public sealed class MultiaddrTests
{
    private static readonly string[] Samples =
    [
        "/ip4/127.0.0.1/tcp/4001",
        "/ip6/::1/tcp/65535",
        "/ip6/2001:db8::8a2e:370:7334/tcp/0",
        "/dns4/example.com/tcp/443/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",
        "/dns6/localhost/tcp/1",
        "/dns/peerz.example/tcp/9000",
        "/ip4/10.0.0.1/tcp/80/p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC",
        "/ip4/10.0.0.1/tcp/80/p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC/p2p-circuit/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",
        "/ip4/10.0.0.1/tcp/80/p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC/p2p-circuit",
    ];

    [Fact]
    public async Task TextAndBinaryMatchJsMultiaddr()
    {
        var js = await JsVectors.ComputeAsync(new byte[32], [], Samples);
        foreach (var reference in js["multiaddrs"]!.AsArray())
        {
            var text = reference!["text"]!.GetValue<string>();
            var parsed = Multiaddr.Parse(text);
            Assert.Equal(reference["bytes"]!.GetValue<string>(), Convert.ToHexStringLower(parsed.ToBytes()));
            Assert.Equal(text, parsed.ToString());
            Assert.Equal(text, Multiaddr.FromBytes(parsed.ToBytes()).ToString());
        }
    }

    [Fact]
    public void CircuitAddressNamesRelayAndTarget()
    {
        var circuit = Multiaddr.Parse(Samples[7]);
        Assert.True(circuit.IsCircuit);
        Assert.Equal(PeerId.Parse("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"), circuit.PeerId);
        Assert.Equal(PeerId.Parse("QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC"), circuit.RelayPeerId);
        Assert.Equal(Samples[8], circuit.WithoutPeerId().ToString());
        Assert.Null(circuit.WithoutPeerId().PeerId);
        Assert.Equal(circuit, Multiaddr.Parse(Samples[8]).WithPeerId(circuit.PeerId!));
        Assert.Equal(Samples[6], circuit.RelayAddress.ToString());
        Assert.Equal(circuit, Multiaddr.Parse(Samples[6]).WithCircuitTo(circuit.PeerId!));
        Assert.False(Multiaddr.Parse(Samples[6]).IsCircuit);
    }

    [Fact]
    public void ExposesPeerId()
    {
        var address = Multiaddr.Parse(Samples[3]);
        Assert.Equal(PeerId.Parse("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"), address.PeerId);
        Assert.Null(address.WithoutPeerId().PeerId);
        Assert.Null(Multiaddr.Parse(Samples[0]).PeerId);
    }

    [Theory]
    [InlineData("ip4/1.2.3.4")]
    [InlineData("/ip4/1.2.3")]
    [InlineData("/ip4/::1/tcp/1")]
    [InlineData("/tcp/65536")]
    [InlineData("/udp/53")]
    [InlineData("/ip4")]
    [InlineData("/p2p/notapeer")]
    public void RejectsInvalidText(string text) => Assert.Throws<FormatException>(() => Multiaddr.Parse(text));

    [Theory]
    [InlineData("04")] // truncated ip4
    [InlineData("047f0000")]
    [InlineData("0600")] // truncated tcp
    [InlineData("36ff01aa")] // dns length beyond input
    [InlineData("a50302aabb")] // p2p value that is not a multihash
    [InlineData("ff7f")] // unknown protocol
    public void RejectsInvalidBytes(string hex) => Assert.Throws<FormatException>(() => Multiaddr.FromBytes(Convert.FromHexString(hex)));
}
