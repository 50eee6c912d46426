using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Peerz.P2P.Yamux;

/// <summary>
/// A yamux 1.0.0 session over a secured connection. One loop reads frames; writes are serialized by a lock.
/// Every stream's receive buffer is bounded by its window (256 KiB, auto-tuned up to maxReceiveWindow), so
/// memory per session is bounded by MaxStreams × maxReceiveWindow. A ping at start measures the round-trip
/// time the window tuning compares against. Protocol violations send GoAway(protocol error) and close the
/// connection.
/// </summary>
internal sealed class YamuxSession : IAsyncDisposable
{
    public const uint InitialWindow = 256 * 1024;

    /// <summary>
    /// Largest data frame we send: 64 KiB, as js-libp2p yamux's default maxMessageSize. The noise layer below splits
    /// the byte stream into its own messages, so a frame need not fit one; a 64 KiB application write is then one
    /// frame (one receive buffer, one reader wake-up) rather than a full frame plus a 25-byte remainder.
    /// </summary>
    public const int MaxFrameData = 64 * 1024;

    /// <summary>Data handed to the transport in one write (several frames), so a bulk write is one socket write per ~256 KiB.</summary>
    public const int MaxDataPerWrite = 4 * MaxFrameData;

    private const uint RttPingOpaque = 0x52545450; // "RTTP"
    private const uint GoAwayNormal = 0;
    private const uint GoAwayProtocolError = 1;

    private readonly Stream _transport;
    private readonly bool _isClient;
    private readonly int _maxStreams;
    private readonly uint _maxReceiveWindow;
    private readonly ILogger _logger;
    private readonly Func<YamuxStream, Task> _onInbound;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<uint, YamuxStream> _streams = [];
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private uint _nextStreamId;
    private bool _goAwayReceived;
    private Exception? _closeReason;
    private long _pingSentAt;
    private long _roundTripTicks;
    private uint _grownWindow = InitialWindow;

    public YamuxSession(Stream transport, bool isClient, int maxStreams, uint maxReceiveWindow, ILogger logger, Func<YamuxStream, Task> onInbound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReceiveWindow, InitialWindow);
        _transport = transport;
        _isClient = isClient;
        _maxStreams = maxStreams;
        _maxReceiveWindow = maxReceiveWindow;
        _logger = logger;
        _onInbound = onInbound;
        _nextStreamId = isClient ? 1u : 2u;
    }

    /// <summary>Completes when the session has closed, for whatever reason.</summary>
    public Task Completion => _completion.Task;

    public bool IsClosed => _closed.IsCancellationRequested;

    /// <summary>Round-trip time measured by the start-up ping, in <see cref="Stopwatch"/> ticks; 0 until it returns.</summary>
    public long RoundTripTicks => Volatile.Read(ref _roundTripTicks);

    /// <summary>
    /// The receive window a new stream starts with: the largest window any stream of this session has grown to.
    /// Growth reflects this connection's bandwidth × delay, so a new stream (e.g. the next inference step's) need
    /// not relearn it from 256 KiB; the extra credit goes out with SYN/ACK as the yamux spec allows.
    /// </summary>
    private uint NewStreamWindow => Volatile.Read(ref _grownWindow);

    public void Start()
    {
        _ = Task.Run(ReadLoopAsync);
        Volatile.Write(ref _pingSentAt, Stopwatch.GetTimestamp());
        SendControl(new YamuxHeader(YamuxType.Ping, YamuxFlags.Syn, 0, RttPingOpaque));
    }

    public async Task<YamuxStream> OpenStreamAsync(CancellationToken ct)
    {
        YamuxStream stream;
        lock (_streams)
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            if (_goAwayReceived)
            {
                throw new InvalidOperationException("remote sent go-away; no new streams");
            }
            if (_streams.Count >= _maxStreams)
            {
                throw new InvalidOperationException($"stream limit {_maxStreams} reached on this connection");
            }
            stream = new YamuxStream(this, _nextStreamId, NewStreamWindow, _maxReceiveWindow);
            _nextStreamId += 2;
            _streams.Add(stream.Id, stream);
        }
        await WriteControlAsync(new YamuxHeader(YamuxType.WindowUpdate, YamuxFlags.Syn, stream.Id, stream.ReceiveWindowSize - InitialWindow), ct).ConfigureAwait(false);
        return stream;
    }

    internal async Task WriteControlAsync(YamuxHeader header, CancellationToken ct)
    {
        var frame = ArrayPool<byte>.Shared.Rent(YamuxHeader.Size);
        try
        {
            header.Write(frame);
            await WriteToTransportAsync(frame.AsMemory(0, YamuxHeader.Size), ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>
    /// Sends data (at most <see cref="MaxDataPerWrite"/> bytes, already within the send window) as frames of
    /// <see cref="MaxFrameData"/>, headers and payloads laid out in one pooled buffer and handed over in one write.
    /// </summary>
    internal async Task WriteDataAsync(uint streamId, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var frames = (data.Length + MaxFrameData - 1) / MaxFrameData;
        var buffer = ArrayPool<byte>.Shared.Rent(data.Length + frames * YamuxHeader.Size);
        try
        {
            var length = LayOutFrames(streamId, data.Span, buffer);
            await WriteToTransportAsync(buffer.AsMemory(0, length), ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int LayOutFrames(uint streamId, ReadOnlySpan<byte> data, Span<byte> buffer)
    {
        var written = 0;
        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(data.Length, MaxFrameData)];
            new YamuxHeader(YamuxType.Data, YamuxFlags.None, streamId, (uint)chunk.Length).Write(buffer[written..]);
            chunk.CopyTo(buffer[(written + YamuxHeader.Size)..]);
            written += YamuxHeader.Size + chunk.Length;
            data = data[chunk.Length..];
        }
        return written;
    }

    private async Task WriteToTransportAsync(ReadOnlyMemory<byte> frames, CancellationToken ct)
    {
        // A linked token costs an allocation per write; only pay it when the caller can cancel.
        using var linked = ct.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(ct, _closed.Token) : null;
        var token = linked?.Token ?? _closed.Token;
        try
        {
            await _writeLock.WaitAsync(token).ConfigureAwait(false);
            try
            {
                await _transport.WriteAsync(frames, token).ConfigureAwait(false);
                await _transport.FlushAsync(token).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (OperationCanceledException) when (IsClosed && !ct.IsCancellationRequested)
        {
            throw new IOException("yamux session closed", _closeReason);
        }
        catch (IOException ex)
        {
            Close(ex);
            throw;
        }
    }

    /// <summary>Called by a stream whose receive window just grew.</summary>
    internal void OnWindowGrown(uint window)
    {
        var seen = Volatile.Read(ref _grownWindow);
        while (window > seen)
        {
            var previous = Interlocked.CompareExchange(ref _grownWindow, window, seen);
            if (previous == seen)
            {
                return;
            }
            seen = previous;
        }
    }

    internal void RemoveStream(uint id)
    {
        lock (_streams)
        {
            _streams.Remove(id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!IsClosed)
        {
            await TrySendGoAwayAsync(GoAwayNormal).ConfigureAwait(false);
        }
        Close(new IOException("yamux session closed locally"));
        await _completion.Task.ConfigureAwait(false);
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[YamuxHeader.Size];
        try
        {
            while (true)
            {
                var first = await _transport.ReadAsync(header.AsMemory(0, 1), _closed.Token).ConfigureAwait(false);
                if (first == 0)
                {
                    Close(new EndOfStreamException("connection closed by remote"));
                    return;
                }
                await _transport.ReadExactlyAsync(header.AsMemory(1), _closed.Token).ConfigureAwait(false);
                await HandleFrameAsync(YamuxHeader.Read(header)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or YamuxProtocolException or FormatException)
        {
            _logger.LogWarning("yamux protocol violation, closing connection: {Reason}", ex.Message);
            await TrySendGoAwayAsync(GoAwayProtocolError).ConfigureAwait(false);
            Close(ex);
        }
        catch (Exception ex)
        {
            if (!IsClosed)
            {
                _logger.LogDebug(ex, "yamux connection ended: {Reason}", ex.Message);
            }
            Close(ex);
        }
    }

    private async Task HandleFrameAsync(YamuxHeader header)
    {
        switch (header.Type)
        {
            case YamuxType.Ping:
                if (header.StreamId != 0)
                {
                    throw new YamuxProtocolException("ping on a non-zero stream id");
                }
                if (header.Flags.HasFlag(YamuxFlags.Syn))
                {
                    SendControl(header with { Flags = YamuxFlags.Ack });
                }
                else if (header.Flags.HasFlag(YamuxFlags.Ack) && header.Length == RttPingOpaque)
                {
                    var sentAt = Interlocked.Exchange(ref _pingSentAt, 0);
                    if (sentAt != 0)
                    {
                        Volatile.Write(ref _roundTripTicks, Math.Max(1, Stopwatch.GetTimestamp() - sentAt));
                    }
                }
                return;
            case YamuxType.GoAway:
                _logger.LogDebug("remote sent yamux go-away with code {Code}", header.Length);
                lock (_streams)
                {
                    _goAwayReceived = true;
                }
                return;
        }
        if (header.StreamId == 0)
        {
            throw new YamuxProtocolException($"{header.Type} frame on stream 0");
        }
        var stream = header.Flags.HasFlag(YamuxFlags.Syn) ? AcceptStream(header.StreamId) : Lookup(header.StreamId);
        if (header.Type == YamuxType.Data)
        {
            await ReceiveDataAsync(stream, header).ConfigureAwait(false);
        }
        else if (stream is not null)
        {
            stream.OnWindowUpdate(header.Length);
        }
        stream?.OnFlags(header.Flags);
    }

    private async Task ReceiveDataAsync(YamuxStream? stream, YamuxHeader header)
    {
        if (header.Length > _maxReceiveWindow)
        {
            throw new YamuxProtocolException($"data frame of {header.Length} bytes exceeds any window we granted");
        }
        if (stream is not null && !stream.TryReserve(header.Length))
        {
            throw new YamuxProtocolException($"stream {header.StreamId} exceeded its receive window");
        }
        if (stream is null)
        {
            await DiscardAsync(header.Length).ConfigureAwait(false);
            return;
        }
        if (header.Length == 0)
        {
            return;
        }
        var data = ReceiveBuffers.Pool.Rent((int)header.Length);
        try
        {
            await _transport.ReadExactlyAsync(data.AsMemory(0, (int)header.Length), _closed.Token).ConfigureAwait(false);
        }
        catch
        {
            ReceiveBuffers.Pool.Return(data);
            throw;
        }
        stream.OnData(data, (int)header.Length);
    }

    /// <summary>Reads and drops the payload of a frame for a stream we no longer track.</summary>
    private async Task DiscardAsync(uint length)
    {
        var scratch = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, (uint)MaxFrameData));
        try
        {
            for (var left = (int)length; left > 0; left -= scratch.Length)
            {
                await _transport.ReadExactlyAsync(scratch.AsMemory(0, Math.Min(left, scratch.Length)), _closed.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private YamuxStream? Lookup(uint id)
    {
        lock (_streams)
        {
            // Frames for streams we already dropped (after RST or full close) are ignored, as the spec allows.
            return _streams.GetValueOrDefault(id);
        }
    }

    private YamuxStream? AcceptStream(uint id)
    {
        if ((id % 2 == 1) == _isClient)
        {
            throw new YamuxProtocolException($"remote opened stream {id} with our parity");
        }
        YamuxStream stream;
        bool overLimit;
        lock (_streams)
        {
            if (_streams.ContainsKey(id))
            {
                throw new YamuxProtocolException($"remote reopened live stream {id}");
            }
            overLimit = _streams.Count >= _maxStreams;
            stream = new YamuxStream(this, id, NewStreamWindow, _maxReceiveWindow);
            if (!overLimit)
            {
                _streams.Add(id, stream);
            }
        }
        if (overLimit)
        {
            _logger.LogWarning("stream limit {Limit} reached; resetting inbound stream {Id}", _maxStreams, id);
            SendControl(new YamuxHeader(YamuxType.WindowUpdate, YamuxFlags.Rst, id, 0));
            return null;
        }
        SendControl(new YamuxHeader(YamuxType.WindowUpdate, YamuxFlags.Ack, id, stream.ReceiveWindowSize - InitialWindow));
        _ = Task.Run(() => _onInbound(stream));
        return stream;
    }

    /// <summary>
    /// Queues a control frame without awaiting it, so the read loop never blocks on our send buffer (two peers
    /// whose read loops both wait on full send buffers would deadlock). The write lock keeps queue order.
    /// </summary>
    private void SendControl(YamuxHeader header) => _ = SendControlAsync(header);

    private async Task SendControlAsync(YamuxHeader header)
    {
        try
        {
            await WriteControlAsync(header, _closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The session is closing; the reader sees that too.
        }
    }

    private async Task TrySendGoAwayAsync(uint code)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await WriteControlAsync(new YamuxHeader(YamuxType.GoAway, YamuxFlags.None, 0, code), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Best effort: the connection is going away anyway.
        }
    }

    private void Close(Exception reason)
    {
        YamuxStream[] streams;
        lock (_streams)
        {
            if (IsClosed)
            {
                return;
            }
            _closeReason = reason;
            _closed.Cancel();
            streams = [.. _streams.Values];
            _streams.Clear();
        }
        foreach (var stream in streams)
        {
            stream.OnSessionClosed(reason);
        }
        _transport.Dispose();
        _completion.TrySetResult();
    }
}
