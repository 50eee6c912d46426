using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P.Yamux;

namespace Peerz.P2P.Tests.Streams;

/// <summary>
/// yamux receive-window auto-tuning between two real hosts on 127.0.0.1: a reader that keeps up lets the window
/// grow to the configured maximum and no further, and later streams of the connection start there; a reader that
/// stops holds the sender to the window, so the bytes buffered for it never exceed the window.
/// </summary>
public sealed class YamuxWindowTuningTests
{
    private const string SinkProtocol = "/peerz/test/sink/1.0.0";
    private const int Chunk = 64 * 1024;

    [Fact]
    public async Task WindowGrowsWhileTheReaderKeepsUpStopsAtTheMaximumAndCarriesToNewStreams()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        const int maxWindow = 1024 * 1024;
        var windows = new List<uint>();
        var accepted = Channel.CreateUnbounded<Libp2pStream>();
        await using var server = await StartAsync(maxWindow, async (stream, ct) =>
        {
            // The window a stream starts with is recorded before anything is read.
            accepted.Writer.TryWrite(stream);
            var buffer = new byte[Chunk];
            while (await stream.ReadAsync(buffer, ct) > 0)
            {
                lock (windows)
                {
                    windows.Add(stream.Muxed.ReceiveWindowSize);
                }
            }
        }, cts.Token);
        await using var client = new Libp2pHost(new Libp2pHostOptions(), NullLoggerFactory.Instance);
        await using var stream = await client.OpenStreamAsync(server.ListenAddresses[0], SinkProtocol, cts.Token);
        var receiver = (await accepted.Reader.ReadAsync(cts.Token)).Muxed;

        // Growth needs a few window updates that come back quickly; bounded at 1 GiB in case it never happens.
        var chunk = new byte[Chunk];
        for (var sent = 0L; receiver.ReceiveWindowSize < maxWindow && sent < 1L << 30; sent += Chunk)
        {
            await stream.WriteAsync(chunk, cts.Token);
        }
        // Keep going well past the point of reaching the cap: it must not be exceeded.
        for (var i = 0; i < 16 * maxWindow / Chunk; i++)
        {
            await stream.WriteAsync(chunk, cts.Token);
        }
        await stream.CloseWriteAsync(cts.Token);

        Assert.Equal((uint)maxWindow, receiver.ReceiveWindowSize);
        lock (windows)
        {
            Assert.Equal(YamuxSession.InitialWindow, windows[0]);
            Assert.All(windows, w => Assert.InRange(w, YamuxSession.InitialWindow, (uint)maxWindow));
            Assert.Contains(windows, w => w > YamuxSession.InitialWindow && w < maxWindow); // it doubled on the way up
        }

        // A new stream on the same connection starts with the grown window (granted with its ACK).
        await using var second = await client.OpenStreamAsync(server.PeerId, SinkProtocol, cts.Token);
        var secondReceiver = (await accepted.Reader.ReadAsync(cts.Token)).Muxed;
        Assert.Equal((uint)maxWindow, secondReceiver.ReceiveWindowSize);
        await second.WriteAsync(new byte[maxWindow - 1024], cts.Token);
        await second.CloseWriteAsync(cts.Token);
    }

    [Fact]
    public async Task FixedMaximumKeepsTheSpecWindow()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var accepted = new TaskCompletionSource<Libp2pStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync((int)YamuxSession.InitialWindow, async (stream, ct) =>
        {
            accepted.TrySetResult(stream);
            var buffer = new byte[Chunk];
            while (await stream.ReadAsync(buffer, ct) > 0)
            {
            }
        }, cts.Token);
        await using var client = new Libp2pHost(new Libp2pHostOptions(), NullLoggerFactory.Instance);
        await using var stream = await client.OpenStreamAsync(server.ListenAddresses[0], SinkProtocol, cts.Token);
        var chunk = new byte[Chunk];
        for (var i = 0; i < 512; i++)
        {
            await stream.WriteAsync(chunk, cts.Token);
        }
        await stream.CloseWriteAsync(cts.Token);
        Assert.Equal(YamuxSession.InitialWindow, (await accepted.Task.WaitAsync(cts.Token)).Muxed.ReceiveWindowSize);
    }

    [Fact]
    public async Task SlowReaderKeepsBufferedBytesWithinTheWindow()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        const int total = 8 * 1024 * 1024;
        var accepted = new TaskCompletionSource<Libp2pStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartAsync(16 * 1024 * 1024, async (stream, ct) =>
        {
            accepted.TrySetResult(stream);
            await handlerDone.Task.WaitAsync(ct);
        }, cts.Token);
        await using var client = new Libp2pHost(new Libp2pHostOptions(), NullLoggerFactory.Instance);
        await using var stream = await client.OpenStreamAsync(server.ListenAddresses[0], SinkProtocol, cts.Token);
        var data = new byte[total];
        new Random(5).NextBytes(data);
        var writing = stream.WriteAsync(data, cts.Token).AsTask();
        var reader = await accepted.Task.WaitAsync(cts.Token);

        // Nobody reads: the sender fills the initial window (less the few bytes of protocol negotiation the
        // handler already consumed, which are not worth a window update) and then waits for an update.
        const uint negotiation = 1024;
        for (var i = 0; i < 2000 && reader.Muxed.BufferedBytes < YamuxSession.InitialWindow - negotiation; i++)
        {
            await Task.Delay(10, cts.Token);
        }
        Assert.InRange(reader.Muxed.BufferedBytes, YamuxSession.InitialWindow - negotiation, YamuxSession.InitialWindow);
        Assert.Equal(YamuxSession.InitialWindow, reader.Muxed.ReceiveWindowSize);
        Assert.False(writing.IsCompleted);

        // Read slowly, in small pieces: every time, what is buffered stays within the current window.
        var received = new byte[total];
        var offset = 0;
        while (offset < total)
        {
            Assert.InRange(reader.Muxed.BufferedBytes, 0u, reader.Muxed.ReceiveWindowSize);
            var n = await reader.ReadAsync(received.AsMemory(offset, Math.Min(4096, total - offset)), cts.Token);
            Assert.True(n > 0);
            offset += n;
        }
        await writing;
        Assert.True(data.AsSpan().SequenceEqual(received));
        handlerDone.SetResult();
    }

    private static async Task<Libp2pHost> StartAsync(int maxWindow, Func<Libp2pStream, CancellationToken, Task> handler, CancellationToken ct)
    {
        var host = new Libp2pHost(new Libp2pHostOptions
        {
            ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")],
            MaxReceiveWindow = maxWindow,
        }, NullLoggerFactory.Instance);
        host.SetStreamHandler(SinkProtocol, handler);
        await host.StartAsync(ct);
        return host;
    }
}
