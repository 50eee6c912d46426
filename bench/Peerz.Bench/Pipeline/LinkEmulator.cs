using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Peerz.Bench.Pipeline;

/// <summary>
/// A user-space network link on loopback (the kernel here has no netem qdisc): a TCP proxy in front
/// of one target that delays every chunk by a one-way latency and serialises each direction at a
/// fixed bandwidth, like a link with that propagation delay and rate. Bytes are never reordered.
/// </summary>
public sealed class LinkEmulator : IAsyncDisposable
{
    private const int ChunkBytes = 16 * 1024;
    /// <summary>Chunks in flight per direction; bounds the proxy's memory like a router's queue.</summary>
    private const int QueueChunks = 1024;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly TimeSpan _oneWayDelay;
    private readonly double _bytesPerSecond;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accept;

    public LinkEmulator(IPEndPoint target, TimeSpan oneWayDelay, double bitsPerSecond)
    {
        _target = target;
        _oneWayDelay = oneWayDelay;
        _bytesPerSecond = bitsPerSecond / 8;
        _listener.Start();
        _accept = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var outbound = new TcpClient { NoDelay = true };
            inbound.NoDelay = true;
            await outbound.ConnectAsync(_target, _stop.Token);
            lock (_pumps)
            {
                _pumps.Add(PumpAsync(inbound.GetStream(), outbound.GetStream(), inbound, outbound));
                _pumps.Add(PumpAsync(outbound.GetStream(), inbound.GetStream(), outbound, inbound));
            }
        }
    }

    /// <summary>One direction: a reader stamps each chunk with its arrival time, a writer releases it then.</summary>
    private async Task PumpAsync(Stream from, Stream to, TcpClient source, TcpClient sink)
    {
        var queue = Channel.CreateBounded<(long DueTicks, byte[] Data)>(QueueChunks);
        var clock = Stopwatch.StartNew();
        var writer = Task.Run(async () =>
        {
            try
            {
                await foreach (var (due, data) in queue.Reader.ReadAllAsync(_stop.Token))
                {
                    var wait = TimeSpan.FromTicks(due - clock.Elapsed.Ticks);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, _stop.Token);
                    await to.WriteAsync(data, _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                sink.Dispose();
            }
        });
        var linkFreeTicks = 0L;
        try
        {
            var buffer = new byte[ChunkBytes];
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                // The link sends one chunk at a time at the set rate; each chunk then travels the delay.
                var sent = Math.Max(clock.Elapsed.Ticks, linkFreeTicks) + (long)(read / _bytesPerSecond * TimeSpan.TicksPerSecond);
                linkFreeTicks = sent;
                await queue.Writer.WriteAsync((sent + _oneWayDelay.Ticks, buffer[..read]), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            queue.Writer.TryComplete();
            await writer;
            source.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accept;
        Task[] pumps;
        lock (_pumps) pumps = [.. _pumps];
        await Task.WhenAll(pumps);
        _stop.Dispose();
    }
}
