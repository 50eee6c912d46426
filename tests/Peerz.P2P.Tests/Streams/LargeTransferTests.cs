using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P.Tests.Infrastructure;

namespace Peerz.P2P.Tests.Streams;

/// <summary>
/// Transfers far larger than any window arrive byte-exact in both directions at once: between two C# hosts, and
/// with js-libp2p (@chainsafe/libp2p-yamux, whose own window also auto-tunes) dialing either way.
/// </summary>
[Trait("Category", "JavaScript")]
public sealed class LargeTransferTests
{
    private const int Size = 48 * 1024 * 1024;

    [Fact]
    public async Task EchoBetweenCSharpHostsIsByteExact()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var server = await StartEchoHostAsync(cts.Token);
        await using var client = new Libp2pHost(new Libp2pHostOptions(), NullLoggerFactory.Instance);
        await using var stream = await client.OpenStreamAsync(server.ListenAddresses[0], EchoProtocol.Id, cts.Token);
        Assert.True(await EchoProtocol.RoundTripAsync(stream, Size, cts.Token));
    }

    [Fact]
    public async Task EchoWithJsIsByteExactBothWays()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var js = await JsPeer.StartAsync(cts.Token);
        await using var host = await StartEchoHostAsync(cts.Token);
        await host.ConnectAsync(js.Address, cts.Token);

        // C# → js → C#: our writes against js's window, js's echo against ours.
        await using (var stream = await host.OpenStreamAsync(js.PeerId, EchoProtocol.Id, cts.Token))
        {
            Assert.True(await EchoProtocol.RoundTripAsync(stream, Size, cts.Token));
        }
        // js → C# → js: js checks the sha-256 of what came back.
        var result = await js.CommandAsync(new { cmd = "echo", peer = host.PeerId.ToString(), streams = 1, size = Size }, cts.Token);
        Assert.Equal(Size, result["bytes"]!.GetValue<int>());
    }

    private static async Task<Libp2pHost> StartEchoHostAsync(CancellationToken ct)
    {
        var host = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, NullLoggerFactory.Instance);
        host.SetStreamHandler(EchoProtocol.Id, EchoProtocol.HandleAsync);
        await host.StartAsync(ct);
        return host;
    }
}
