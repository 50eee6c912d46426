using System.Buffers.Binary;
using Peerz.P2P.Encoding;
using Peerz.P2P.Noise;
using Peerz.P2P.Tests.Infrastructure;
using Peerz.P2P.Yamux;
using Peerz.Testing.Logging;

namespace Peerz.P2P.Tests.Hostile;

/// <summary>
/// Each kind of bad input closes that connection with a log line; the host keeps serving others
/// (checked by a real echo exchange afterwards).
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private readonly RecordedLogs _logs = new();
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(30));
    private Libp2pHost _host = null!;

    private CancellationToken Ct => _cts.Token;

    public async Task InitializeAsync()
    {
        _host = new Libp2pHost(new Libp2pHostOptions
        {
            ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")],
            HandshakeTimeout = TimeSpan.FromSeconds(2),
        }, _logs);
        _host.SetStreamHandler(EchoProtocol.Id, EchoProtocol.HandleAsync);
        await _host.StartAsync(Ct);
    }

    public async Task DisposeAsync()
    {
        // The host must still work after the abuse.
        await using (var client = new Libp2pHost(new Libp2pHostOptions(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance))
        {
            await using var stream = await client.OpenStreamAsync(_host.ListenAddresses[0], EchoProtocol.Id, Ct);
            Assert.True(await EchoProtocol.RoundTripAsync(stream, 100_000, Ct));
        }
        await _host.DisposeAsync();
        _cts.Dispose();
    }

    [Fact]
    public async Task GarbageOnTheSocketClosesTheConnection()
    {
        await using var tcp = await RawPeer.ConnectAsync(_host, Ct);
        var garbage = new byte[4096];
        new Random(1).NextBytes(garbage);
        await tcp.WriteAsync(garbage, Ct);
        await RawPeer.ReadToEndAsync(tcp, Ct);
        await _logs.WaitForLineAsync("failed during handshake", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task OversizedMultistreamMessageIsRejected()
    {
        await using var tcp = await RawPeer.ConnectAsync(_host, Ct);
        await tcp.WriteAsync(Varint.Encode(1_000_000), Ct);
        await tcp.WriteAsync(new byte[1000], Ct);
        await RawPeer.ReadToEndAsync(tcp, Ct);
        await _logs.WaitForLineAsync("out of range", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task TruncatedNoiseMessageThenSilenceTimesOut()
    {
        await using var tcp = await RawPeer.ConnectAsync(_host, Ct);
        await Multistream.MultistreamSelect.SelectAsync(tcp, Libp2pHost.NoiseProtocol, Ct);
        await tcp.WriteAsync(new byte[] { 0x00, 0x20, 1, 2, 3 }, Ct); // announces 32 bytes, sends 3
        await RawPeer.ReadToEndAsync(tcp, Ct); // the host's handshake timeout (2 s) closes it
        await _logs.WaitForLineAsync("failed during handshake", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WrongNoisePayloadSignatureIsRejected()
    {
        var identity = Identity.Generate();
        var forger = new NoiseHandshake(identity, staticKey => identity.Sign([.. "noise-libp2p-static-key:"u8, .. new byte[32]]));
        await Assert.ThrowsAnyAsync<Exception>(() => RawPeer.SecureAsync(_host, forger, Ct));
        await _logs.WaitForLineAsync("signature does not verify", TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(identity.PeerId, _host.ConnectedPeers);
    }

    [Fact]
    public async Task YamuxWindowViolationClosesTheConnectionWithGoAway()
    {
        await using var secure = await RawPeer.SecureAsync(_host, new NoiseHandshake(Identity.Generate()), Ct);
        // Negotiate identify on stream 1: its handler never reads, so nothing refills our window.
        byte[] negotiation = [.. Multistream.MultistreamSelect.Encode("/multistream/1.0.0"), .. Multistream.MultistreamSelect.Encode("/ipfs/id/1.0.0")];
        await secure.WriteAsync(Frame(YamuxType.Data, YamuxFlags.Syn, 1, (uint)negotiation.Length, negotiation), Ct);
        var chunk = new byte[200 * 1024]; // two of these exceed the 256 KiB initial window
        await secure.WriteAsync(Frame(YamuxType.Data, YamuxFlags.None, 1, (uint)chunk.Length, chunk), Ct);
        await secure.WriteAsync(Frame(YamuxType.Data, YamuxFlags.None, 1, (uint)chunk.Length, chunk), Ct);
        await secure.FlushAsync(Ct);

        var received = await RawPeer.ReadToEndAsync(secure, Ct);
        Assert.True(ContainsGoAway(received, code: 1), "expected a go-away with the protocol-error code");
        await _logs.WaitForLineAsync("exceeded its receive window", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task OversizedYamuxFrameClosesTheConnection()
    {
        await using var secure = await RawPeer.SecureAsync(_host, new NoiseHandshake(Identity.Generate()), Ct);
        await secure.WriteAsync(Frame(YamuxType.Data, YamuxFlags.Syn, 1, uint.MaxValue, []), Ct);
        await secure.FlushAsync(Ct);
        Assert.True(ContainsGoAway(await RawPeer.ReadToEndAsync(secure, Ct), code: 1));
        await _logs.WaitForLineAsync("exceeds any window", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task UnknownProtocolGetsNaAndTheStreamOnly()
    {
        await using var client = new Libp2pHost(new Libp2pHostOptions(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var ex = await Assert.ThrowsAsync<ProtocolNotSupportedException>(() => client.OpenStreamAsync(_host.ListenAddresses[0], "/evil/1.0.0", Ct));
        Assert.Equal("/evil/1.0.0", ex.Protocol);
        await using var stream = await client.OpenStreamAsync(_host.PeerId, EchoProtocol.Id, Ct);
        Assert.True(await EchoProtocol.RoundTripAsync(stream, 1000, Ct));
    }

    private static byte[] Frame(YamuxType type, YamuxFlags flags, uint id, uint length, byte[] payload)
    {
        var frame = new byte[YamuxHeader.Size + payload.Length];
        new YamuxHeader(type, flags, id, length).Write(frame);
        payload.CopyTo(frame, YamuxHeader.Size);
        return frame;
    }

    private static bool ContainsGoAway(byte[] received, uint code)
    {
        for (var i = 0; i + YamuxHeader.Size <= received.Length; i++)
        {
            if (received[i] == 0 && received[i + 1] == (byte)YamuxType.GoAway
                && BinaryPrimitives.ReadUInt32BigEndian(received.AsSpan(i + 8)) == code)
            {
                return true;
            }
        }
        return false;
    }
}
