using System.Net;
using System.Net.Sockets;
using Peerz.P2P.Dcutr;
using Peerz.P2P.Encoding;
using Peerz.P2P.Tests.Infrastructure;
using Peerz.Testing.Logging;

namespace Peerz.P2P.Tests.Dcutr;

/// <summary>
/// DCUtR between C# hosts on loopback. The coordination runs over a direct connection standing in for a relayed
/// one (real relayed connections and NATs are exercised by the network-namespace tests).
/// </summary>
public sealed class HolePuncherTests
{
    private static readonly Multiaddr Loopback = Multiaddr.Parse("/ip4/127.0.0.1/tcp/0");
    private static readonly HolePuncherOptions Manual = new() { AutoUpgrade = false };

    [Fact]
    public async Task UpgradeReplacesTheCoordinatingConnectionWithADirectOne()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logA = new RecordedLogs();
        var logB = new RecordedLogs();
        await using var a = await StartHostAsync(logA, listen: true, cts.Token);
        await using var b = await StartHostAsync(logB, listen: true, cts.Token);
        await using var punchA = new HolePuncher(a, Manual);
        await using var punchB = new HolePuncher(b, Manual);
        var aDone = new TaskCompletionSource<HolePunchResult>();
        punchA.Completed += (_, r) => aDone.TrySetResult(r);
        var bDone = new TaskCompletionSource<HolePunchResult>();
        punchB.Completed += (_, r) => bDone.TrySetResult(r);
        await b.ConnectAsync(a.ListenAddresses[0], cts.Token);
        var original = b.GetConnection(a.PeerId)!;

        Assert.True(await punchB.TryUpgradeAsync(a.PeerId, cts.Token), $"A:\n{string.Join('\n', logA.Lines)}\nB:\n{string.Join('\n', logB.Lines)}");

        var resultB = await bDone.Task.WaitAsync(cts.Token);
        Assert.True(resultB.Succeeded);
        // Without a NAT between them either SYN can reach the other's listener first; A runs B's arriving dial as
        // initiator (B's DCUtR role for it is responder), so either order completes in the first attempt.
        Assert.Equal(1, resultB.Attempts);
        Assert.True((await aDone.Task.WaitAsync(cts.Token)).Succeeded);
        Assert.True(original.Session.IsClosed);
        var direct = b.GetConnection(a.PeerId)!;
        Assert.NotSame(original, direct);
        Assert.False(direct.IsRelayed);
        Assert.True(await b.PingAsync(a.PeerId, cts.Token) > TimeSpan.Zero);
        Assert.True(await a.PingAsync(b.PeerId, cts.Token) > TimeSpan.Zero);
    }

    [Fact]
    public async Task UnreachableAddressesKeepTheExistingConnectionAndReportFailure()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var a = await StartHostAsync(new RecordedLogs(), listen: true, cts.Token);
        // B has no listener (so it cannot punch from a listen port) and offers a port nobody listens on.
        var logB = new RecordedLogs();
        await using var b = await StartHostAsync(logB, listen: false, cts.Token);
        b.Addresses.AddAdvertised(Multiaddr.Parse($"/ip4/127.0.0.1/tcp/{DeadPort()}"));
        await using var punchA = new HolePuncher(a, Manual);
        await using var punchB = new HolePuncher(b, Manual);
        var bDone = new TaskCompletionSource<HolePunchResult>();
        punchB.Completed += (_, r) => bDone.TrySetResult(r);
        await b.ConnectAsync(a.ListenAddresses[0], cts.Token);
        var original = b.GetConnection(a.PeerId)!;

        Assert.False(await punchB.TryUpgradeAsync(a.PeerId, cts.Token));

        var result = await bDone.Task.WaitAsync(cts.Token);
        Assert.False(result.Succeeded);
        Assert.Equal(Manual.MaxAttempts, result.Attempts);
        Assert.False(original.Session.IsClosed);
        Assert.Same(original, b.GetConnection(a.PeerId));
        Assert.True(await b.PingAsync(a.PeerId, cts.Token) > TimeSpan.Zero);
        await logB.WaitForLineAsync("keeping the relayed one", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ConnectCarriesOurCandidatesAndGarbageAnswersAreRefused()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var a = await StartHostAsync(new RecordedLogs(), listen: true, cts.Token);
        var logB = new RecordedLogs();
        await using var b = await StartHostAsync(logB, listen: true, cts.Token);
        await using var punchB = new HolePuncher(b, Manual);
        // A hostile A: records B's CONNECT and answers with addresses that are not addresses.
        var received = new TaskCompletionSource<HolePunchMessage>();
        a.SetStreamHandler(HolePunchMessage.ProtocolId, async (stream, ct) =>
        {
            received.TrySetResult(HolePunchMessage.Decode(await LengthPrefixed.ReadAsync(stream, 4096, ct)));
            await LengthPrefixed.WriteAsync(stream, new HolePunchMessage(HolePunchType.Connect, [[0xff, 0xff], [], new byte[300]]).Encode(), ct);
        });
        await b.ConnectAsync(a.ListenAddresses[0], cts.Token);
        await b.IdentifyAsync(a.PeerId, cts.Token);

        Assert.False(await punchB.TryUpgradeAsync(a.PeerId, cts.Token));

        var connect = await received.Task.WaitAsync(cts.Token);
        Assert.Equal(HolePunchType.Connect, connect.Type);
        var offered = connect.ObservedAddresses.Select(bytes => Multiaddr.FromBytes(bytes)).ToList();
        Assert.Contains(b.ListenAddresses[0].WithoutPeerId(), offered);
        Assert.InRange(offered.Count, 1, 8);
        Assert.DoesNotContain(offered, address => address.IsCircuit);
        await logB.WaitForLineAsync("refused CONNECT", TimeSpan.FromSeconds(5));
        Assert.True(await b.PingAsync(a.PeerId, cts.Token) > TimeSpan.Zero);
    }

    [Fact]
    public async Task GarbageAndOversizedConnectsAreRefusedAndTheConnectionStays()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logA = new RecordedLogs();
        await using var a = await StartHostAsync(logA, listen: true, cts.Token);
        await using var b = await StartHostAsync(new RecordedLogs(), listen: true, cts.Token);
        await using var punchA = new HolePuncher(a, Manual);
        var aDone = new TaskCompletionSource<HolePunchResult>();
        punchA.Completed += (_, r) => aDone.TrySetResult(r);
        await b.ConnectAsync(a.ListenAddresses[0], cts.Token);

        var garbage = new HolePunchMessage(HolePunchType.Connect, [.. Enumerable.Range(0, 20).Select(i => new byte[] { 0x04, (byte)i })]);
        await using (var stream = await b.OpenStreamAsync(a.PeerId, HolePunchMessage.ProtocolId, cts.Token))
        {
            await LengthPrefixed.WriteAsync(stream, garbage.Encode(), cts.Token);
            Assert.Null(await ReadEndAsync(stream, cts.Token));
        }
        await logA.WaitForLineAsync("refused CONNECT", TimeSpan.FromSeconds(5));
        Assert.False((await aDone.Task.WaitAsync(cts.Token)).Succeeded);

        await using (var stream = await b.OpenStreamAsync(a.PeerId, HolePunchMessage.ProtocolId, cts.Token))
        {
            await LengthPrefixed.WriteAsync(stream, new byte[8 * 1024], cts.Token);
            Assert.Null(await ReadEndAsync(stream, cts.Token));
        }
        await logA.WaitForLineAsync("exceeds the limit", TimeSpan.FromSeconds(5));
        Assert.True(await b.PingAsync(a.PeerId, cts.Token) > TimeSpan.Zero);
    }

    /// <summary>Reads until the remote ends or resets the stream; a refusal sends no message back.</summary>
    private static async Task<byte[]?> ReadEndAsync(Stream stream, CancellationToken ct)
    {
        try
        {
            return await LengthPrefixed.TryReadAsync(stream, 4096, ct);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task<Libp2pHost> StartHostAsync(RecordedLogs log, bool listen, CancellationToken ct)
    {
        var options = new Libp2pHostOptions { ListenAddresses = listen ? [Loopback] : [] };
        var host = new Libp2pHost(options, log);
        await host.StartAsync(ct);
        return host;
    }

    private static int DeadPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
