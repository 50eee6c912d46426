using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P.Encoding;
using Peerz.P2P.Noise;
using Peerz.P2P.Relay;
using Peerz.P2P.Relay.Wire;
using Peerz.P2P.Tests.Infrastructure;
using Peerz.Testing.Logging;

namespace Peerz.P2P.Tests.Relay;

/// <summary>Hostile relay traffic: oversized and malformed messages, and a relay that connects us to someone else.</summary>
public sealed class CircuitRelayHostileTests
{
    [Fact]
    public async Task OversizedHopMessageIsRefusedAsMalformed()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        await using var peer = await RelayHosts.StartAsync(logs, cts.Token);
        await peer.ConnectAsync(relayHost.ListenAddresses[0], cts.Token);

        // A RESERVE padded past the 4 KiB cap with an unknown field.
        var oversized = new ProtoWriter().WriteVarint(1, 0).WriteBytes(15, new byte[CircuitRelayProtocol.MaxMessageSize]).ToArray();
        var answer = await HopExchangeAsync(peer, relayHost.PeerId, oversized, cts.Token);

        Assert.Equal(RelayStatus.MalformedMessage, answer.Status);
        Assert.Equal(0, relay.ReservationCount);
        await logs.WaitForLineAsync("refused with MalformedMessage", TimeSpan.FromSeconds(5));
        Assert.True(await peer.PingAsync(relayHost.PeerId, cts.Token) > TimeSpan.Zero); // the relay kept the connection
    }

    [Theory]
    [InlineData(new byte[] { 0x12, 0x02, 0x0a })]       // peer field whose inner message is truncated
    [InlineData(new byte[] { 0x08, 0x09 })]             // unknown message type
    [InlineData(new byte[] { 0x2a, 0x00 })]             // no type at all
    public async Task MalformedHopMessageIsRefused(byte[] message)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        await using var peer = await RelayHosts.StartAsync(logs, cts.Token);
        await peer.ConnectAsync(relayHost.ListenAddresses[0], cts.Token);

        var answer = await HopExchangeAsync(peer, relayHost.PeerId, message, cts.Token);

        Assert.Equal(RelayStatus.MalformedMessage, answer.Status);
        await logs.WaitForLineAsync("refused with MalformedMessage", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task StatusSentAsHopRequestIsUnexpected()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        await using var peer = await RelayHosts.StartAsync(logs, cts.Token);
        await peer.ConnectAsync(relayHost.ListenAddresses[0], cts.Token);

        var answer = await HopExchangeAsync(peer, relayHost.PeerId, HopMessage.Answer(RelayStatus.Ok).Encode(), cts.Token);

        Assert.Equal(RelayStatus.UnexpectedMessage, answer.Status);
    }

    [Fact]
    public async Task MalformedStopRequestIsRefusedByTheReservedPeer()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = new RecordedLogs();
        await using var relayHost = await RelayHosts.StartAsync(logs, cts.Token);
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions());
        var (target, client, _) = await RelayHosts.StartReservedAsync(relayHost, logs, cts.Token);
        await using var __ = target;
        await using var ___ = client;

        // CONNECT without a peer, then a stop message of type STATUS.
        foreach (var (request, expected) in new[]
        {
            (new StopMessage(StopMessageType.Connect).Encode(), RelayStatus.MalformedMessage),
            (StopMessage.Answer(RelayStatus.Ok).Encode(), RelayStatus.UnexpectedMessage),
        })
        {
            await using var stream = await relayHost.OpenStreamAsync(target.PeerId, CircuitRelayProtocol.Stop, cts.Token);
            await LengthPrefixed.WriteAsync(stream, request, cts.Token);
            var answer = StopMessage.Decode(await LengthPrefixed.ReadAsync(stream, CircuitRelayProtocol.MaxMessageSize, cts.Token), 16);
            Assert.Equal(expected, answer.Status);
        }
        await logs.WaitForLineAsync("stop request from relay", TimeSpan.FromSeconds(5));
        Assert.Single(target.ConnectedPeers);
    }

    [Fact]
    public async Task RelayThatConnectsUsToSomeoneElseFailsTheNoiseCheck()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var logs = NullLoggerFactory.Instance;
        await using var liar = await RelayHosts.StartAsync(logs, cts.Token);
        await using var impostor = await RelayHosts.StartAsync(logs, cts.Token);
        await using var impostorClient = new CircuitRelayClient(impostor, new CircuitRelayClientOptions());
        await impostor.ConnectAsync(liar.ListenAddresses[0], cts.Token);
        liar.SetStreamHandler(CircuitRelayProtocol.Hop, (stream, ct) => ConnectToImpostorAsync(liar, impostor.PeerId, stream, ct));
        await using var dialer = await RelayHosts.StartAsync(logs, cts.Token);
        await using var dialerClient = new CircuitRelayClient(dialer, new CircuitRelayClientOptions());
        var honestTarget = Identity.Generate().PeerId;

        var failure = await Assert.ThrowsAsync<NoiseHandshakeException>(() =>
            dialer.ConnectAsync(liar.ListenAddresses[0].WithCircuitTo(honestTarget), cts.Token));

        Assert.Contains($"expected {honestTarget}", failure.Message);
        Assert.False(dialer.IsConnected(honestTarget));
        Assert.False(dialer.IsConnected(impostor.PeerId));
    }

    /// <summary>A lying relay: answers every CONNECT with OK and joins the dialer to the impostor, whoever was asked for.</summary>
    private static async Task ConnectToImpostorAsync(Libp2pHost liar, PeerId impostor, Libp2pStream hop, CancellationToken ct)
    {
        await LengthPrefixed.ReadAsync(hop, CircuitRelayProtocol.MaxMessageSize, ct);
        await using var stop = await liar.OpenStreamAsync(impostor, CircuitRelayProtocol.Stop, ct);
        await LengthPrefixed.WriteAsync(stop, new StopMessage(StopMessageType.Connect, new RelayPeerInfo(hop.RemotePeer, [])).Encode(), ct);
        await LengthPrefixed.ReadAsync(stop, CircuitRelayProtocol.MaxMessageSize, ct);
        await LengthPrefixed.WriteAsync(hop, HopMessage.Answer(RelayStatus.Ok).Encode(), ct);
        await CircuitSplice.RunAsync(hop, stop, TimeSpan.FromSeconds(30), long.MaxValue, NullLogger.Instance, ct);
    }

    private static async Task<HopMessage> HopExchangeAsync(Libp2pHost peer, PeerId relay, byte[] request, CancellationToken ct)
    {
        await using var stream = await peer.OpenStreamAsync(relay, CircuitRelayProtocol.Hop, ct);
        await LengthPrefixed.WriteAsync(stream, request, ct);
        return HopMessage.Decode(await LengthPrefixed.ReadAsync(stream, CircuitRelayProtocol.MaxMessageSize, ct), 16);
    }
}
