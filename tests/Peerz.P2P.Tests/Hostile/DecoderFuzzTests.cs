using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P.Crypto;
using Peerz.P2P.Encoding;
using Peerz.P2P.Multistream;
using Peerz.P2P.Noise;
using Peerz.P2P.Yamux;

namespace Peerz.P2P.Tests.Hostile;

/// <summary>
/// Random and mutated inputs for every frame decoder: each must either decode or throw its documented
/// exception type, in bounded time. Fixed seeds keep failures reproducible.
/// </summary>
public sealed class DecoderFuzzTests
{
    private const int Iterations = 20_000;

    [Fact]
    public void Varints() => Fuzz([0xac, 0x02], data => Varint.TryRead(data, out _, out _), typeof(FormatException));

    [Fact]
    public void MultistreamMessages() =>
        Fuzz(MultistreamSelect.Encode("/yamux/1.0.0"), data => MultistreamSelect.TryDecode(data, out _), typeof(InvalidDataException), typeof(FormatException));

    [Fact]
    public void YamuxHeaders() =>
        Fuzz(new byte[12], data => YamuxHeader.Read(data), typeof(InvalidDataException));

    [Fact]
    public void ProtobufMessages()
    {
        var identify = new IdentifyInfo("ipfs/0.1.0", "peerz", Identity.Generate().PublicKeyProto,
            [Multiaddr.Parse("/ip4/127.0.0.1/tcp/1")], Multiaddr.Parse("/ip6/::1/tcp/2"), ["/ipfs/ping/1.0.0"]).Encode();
        Fuzz(identify, data => IdentifyInfo.Decode(data), typeof(FormatException));
        Fuzz(new NoiseHandshakePayload(new byte[36], new byte[64]).Encode(), data => NoiseHandshakePayload.Decode(data), typeof(FormatException));
        Fuzz(Identity.Generate().ToPrivateKeyProto(), data => Identity.FromPrivateKeyProto(data), typeof(FormatException), typeof(NotSupportedException));
        Fuzz(Identity.Generate().PublicKeyProto, data => PublicKeyProto.DecodeEd25519(data, 32), typeof(FormatException), typeof(NotSupportedException));
        Fuzz(Identity.Generate().PeerId.ToBytes(), data => PeerId.FromBytes(data), typeof(FormatException));
        Fuzz(Multiaddr.Parse("/dns4/a.b/tcp/1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA").ToBytes(),
            data => Multiaddr.FromBytes(data), typeof(FormatException));
    }

    [Fact]
    public async Task NoiseTransportFrames()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var input = new byte[random.Next(0, 200)];
            random.NextBytes(input);
            using var stream = new NoiseStream(new MemoryStream(input), new CipherState(new byte[32]), new CipherState(new byte[32]));
            var ex = await Record.ExceptionAsync(async () =>
            {
                while (await stream.ReadAsync(new byte[1024]) > 0)
                {
                }
            });
            Assert.True(ex is null or InvalidDataException or EndOfStreamException or AuthenticationTagMismatchException, ex?.ToString());
        }
    }

    [Fact]
    public async Task YamuxSessionsFedRandomFrames()
    {
        var random = new Random(11);
        for (var i = 0; i < 500; i++)
        {
            var input = new byte[random.Next(0, 400)];
            random.NextBytes(input);
            if (input.Length >= 12 && random.Next(2) == 0)
            {
                input[0] = 0; // valid version so deeper paths run
                input[1] = (byte)random.Next(4);
            }
            await using var session = new YamuxSession(new FeedStream(input), isClient: true, maxStreams: 4, maxReceiveWindow: YamuxSession.InitialWindow,
                NullLogger.Instance, stream => { stream.Reset(); return Task.CompletedTask; });
            session.Start();
            await session.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        }
    }

    private static void Fuzz(byte[] valid, Action<byte[]> decode, params Type[] allowed)
    {
        var random = new Random(valid.Length * 31 + allowed.Length);
        for (var i = 0; i < Iterations; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 64)];
                random.NextBytes(input);
            }
            else
            {
                // Mutations of a valid encoding reach deeper than pure noise: flip bytes, truncate, extend.
                input = (byte[])valid.Clone();
                for (var flips = random.Next(1, 4); flips > 0 && input.Length > 0; flips--)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
                input = random.Next(3) switch
                {
                    0 => input[..random.Next(input.Length + 1)],
                    1 => [.. input, .. new byte[random.Next(8)]],
                    _ => input,
                };
            }
            try
            {
                decode(input);
            }
            catch (Exception ex) when (allowed.Contains(ex.GetType()))
            {
            }
        }
    }

    /// <summary>Replays fixed bytes as the remote side; writes are discarded.</summary>
    private sealed class FeedStream(byte[] input) : MemoryStream(input)
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override void Write(byte[] buffer, int offset, int count)
        {
        }
    }
}
