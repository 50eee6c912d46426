using Peerz.P2P.Host;

namespace Peerz.P2P.Tests.Addressing;

/// <summary>
/// A peer behind a home router announces its LAN address beside its relay addresses; a dial to the LAN address from
/// elsewhere hangs until the handshake timeout, so the relay addresses are tried before it.
/// </summary>
public sealed class DialOrderTests
{
    private const string Relay = "/ip4/203.0.113.10/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    private const string Target = "12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK";

    [Fact]
    public void Public_and_loopback_first_then_circuits_then_private_ranges_keeping_announcement_order_within_each()
    {
        string[] announced =
        [
            "/ip4/192.168.1.2/tcp/4001",
            $"{Relay}/p2p-circuit/p2p/{Target}",
            "/ip4/10.0.0.7/tcp/4001",
            "/ip4/203.0.113.101/tcp/4001",
            "/ip4/172.20.0.5/tcp/4001",
            "/ip4/100.64.3.4/tcp/4001",
            "/ip4/127.0.0.1/tcp/4001",
            "/ip6/fd00::1/tcp/4001",
            "/ip4/172.32.0.1/tcp/4001",
            "/dns4/provider.example/tcp/4001",
        ];

        var order = DialOrder.Sort(announced.Select(Multiaddr.Parse)).Select(a => a.ToString()).ToList();

        Assert.Equal(
        [
            "/ip4/203.0.113.101/tcp/4001",
            "/ip4/127.0.0.1/tcp/4001",
            "/ip4/172.32.0.1/tcp/4001", // just outside 172.16.0.0/12
            "/dns4/provider.example/tcp/4001",
            $"{Relay}/p2p-circuit/p2p/{Target}",
            "/ip4/192.168.1.2/tcp/4001",
            "/ip4/10.0.0.7/tcp/4001",
            "/ip4/172.20.0.5/tcp/4001",
            "/ip4/100.64.3.4/tcp/4001",
            "/ip6/fd00::1/tcp/4001",
        ], order);
    }
}
