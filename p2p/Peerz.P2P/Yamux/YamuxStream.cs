using System.Buffers;
using System.Diagnostics;

namespace Peerz.P2P.Yamux;

/// <summary>
/// One yamux stream. Received data is buffered up to the receive window (the sender must not exceed it).
/// The window starts at the spec's 256 KiB (or at what earlier streams of the session grew to, announced with
/// SYN/ACK) and auto-tunes as in go-yamux: when half of it has been consumed
/// a window update goes back, and if that happened within four round trips of the previous update the reader
/// is keeping up, so the window doubles (up to the session's maximum) and one transfer is not held to 256 KiB
/// per round trip. Buffered bytes never exceed the current window. Writes wait for send window.
/// </summary>
internal sealed class YamuxStream
{
    private readonly YamuxSession _session;
    private readonly uint _maxWindow;
    private readonly object _lock = new();
    private readonly Queue<Segment> _segments = new();
    private int _headOffset;
    private uint _window;
    private uint _receiveWindow;
    private uint _buffered;
    private long _epochStart;
    private long _sendWindow;
    private bool _remoteClosed;
    private bool _localClosed;
    private Exception? _error;
    private TaskCompletionSource? _readSignal;
    private TaskCompletionSource? _writeSignal;

    /// <param name="initialWindow">Receive window granted at open (256 KiB, or what the session's streams grew to).</param>
    public YamuxStream(YamuxSession session, uint id, uint initialWindow, uint maxWindow)
    {
        _session = session;
        Id = id;
        _maxWindow = maxWindow;
        _window = initialWindow;
        _receiveWindow = initialWindow;
        _sendWindow = YamuxSession.InitialWindow;
        _epochStart = Stopwatch.GetTimestamp();
    }

    public uint Id { get; }

    /// <summary>The receive window currently granted to the remote (initial 256 KiB, grows up to the maximum).</summary>
    internal uint ReceiveWindowSize
    {
        get
        {
            lock (_lock)
            {
                return _window;
            }
        }
    }

    /// <summary>Received bytes waiting for the reader.</summary>
    internal uint BufferedBytes
    {
        get
        {
            lock (_lock)
            {
                return _buffered;
            }
        }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        while (true)
        {
            Task wait;
            uint update = 0;
            int copied = 0;
            lock (_lock)
            {
                while (copied < buffer.Length && _segments.Count > 0)
                {
                    var head = _segments.Peek();
                    var n = Math.Min(buffer.Length - copied, head.Length - _headOffset);
                    head.Buffer.AsSpan(_headOffset, n).CopyTo(buffer.Span[copied..]);
                    copied += n;
                    _headOffset += n;
                    if (_headOffset == head.Length)
                    {
                        _segments.Dequeue();
                        ReceiveBuffers.Pool.Return(head.Buffer);
                        _headOffset = 0;
                    }
                }
                if (copied > 0)
                {
                    _buffered -= (uint)copied;
                    if (!_remoteClosed && _error is null)
                    {
                        update = TakeWindowUpdate();
                    }
                    wait = Task.CompletedTask;
                }
                else if (_error is not null)
                {
                    throw new IOException("stream reset or connection closed", _error);
                }
                else if (_remoteClosed)
                {
                    return 0;
                }
                else
                {
                    _readSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _readSignal.Task;
                }
            }
            if (copied > 0)
            {
                if (update > 0)
                {
                    await _session.WriteControlAsync(new YamuxHeader(YamuxType.WindowUpdate, YamuxFlags.None, Id, update), ct).ConfigureAwait(false);
                }
                return copied;
            }
            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct)
    {
        while (!buffer.IsEmpty)
        {
            Task wait;
            int chunk = 0;
            lock (_lock)
            {
                if (_error is not null)
                {
                    throw new IOException("stream reset or connection closed", _error);
                }
                if (_localClosed)
                {
                    throw new InvalidOperationException("stream write side already closed");
                }
                if (_sendWindow > 0)
                {
                    chunk = (int)Math.Min(Math.Min(buffer.Length, _sendWindow), YamuxSession.MaxDataPerWrite);
                    _sendWindow -= chunk;
                    wait = Task.CompletedTask;
                }
                else
                {
                    _writeSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _writeSignal.Task;
                }
            }
            if (chunk > 0)
            {
                await _session.WriteDataAsync(Id, buffer[..chunk], ct).ConfigureAwait(false);
                buffer = buffer[chunk..];
            }
            else
            {
                await wait.WaitAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends FIN once; later calls do nothing.</summary>
    public async Task CloseWriteAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            if (_localClosed || _error is not null)
            {
                return;
            }
            _localClosed = true;
        }
        try
        {
            await _session.WriteControlAsync(new YamuxHeader(YamuxType.WindowUpdate, YamuxFlags.Fin, Id, 0), ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The connection is gone; there is nobody left to tell.
        }
        RemoveIfDone();
    }

    public void Reset()
    {
        lock (_lock)
        {
            if (_error is not null)
            {
                return;
            }
            _error = new IOException("stream reset locally");
            DropBuffered();
            Signal();
        }
        _session.RemoveStream(Id);
        _ = SendResetAsync();
    }

    /// <summary>Called by the read loop before it reads a data frame's payload; false when it exceeds the window.</summary>
    internal bool TryReserve(uint length)
    {
        lock (_lock)
        {
            if (length > _receiveWindow)
            {
                return false;
            }
            // Counted as buffered from here, so a window update never grants credit for bytes still being read.
            _receiveWindow -= length;
            _buffered += length;
            return true;
        }
    }

    /// <summary>Hands a reserved payload (a pooled buffer, now owned by the stream) to the reader.</summary>
    internal void OnData(byte[] data, int length)
    {
        lock (_lock)
        {
            if (_error is null && !_remoteClosed)
            {
                _segments.Enqueue(new Segment(data, length));
                Signal();
                return;
            }
            if (_error is null)
            {
                _buffered -= (uint)length;
            }
        }
        ReceiveBuffers.Pool.Return(data);
    }

    internal void OnWindowUpdate(uint delta)
    {
        lock (_lock)
        {
            _sendWindow += delta;
            Signal();
        }
    }

    internal void OnFlags(YamuxFlags flags)
    {
        if (flags.HasFlag(YamuxFlags.Rst))
        {
            OnSessionClosed(new IOException("stream reset by remote"));
            _session.RemoveStream(Id);
            return;
        }
        if (flags.HasFlag(YamuxFlags.Fin))
        {
            lock (_lock)
            {
                _remoteClosed = true;
                Signal();
            }
            RemoveIfDone();
        }
    }

    internal void OnSessionClosed(Exception reason)
    {
        lock (_lock)
        {
            if (_error is null)
            {
                _error = reason;
                DropBuffered();
            }
            Signal();
        }
    }

    /// <summary>
    /// Called under the lock after the reader consumed data: the credit to send back, or 0 while less than half
    /// of the window is free. Doubles the window first when the previous update was less than four RTTs ago.
    /// </summary>
    private uint TakeWindowUpdate()
    {
        var delta = _window - _buffered - _receiveWindow;
        if (delta < _window / 2)
        {
            return 0;
        }
        var now = Stopwatch.GetTimestamp();
        var rtt = _session.RoundTripTicks;
        if (rtt > 0 && now - _epochStart < 4 * rtt && _window < _maxWindow)
        {
            _window = (uint)Math.Min(2L * _window, _maxWindow);
            delta = _window - _buffered - _receiveWindow;
            _session.OnWindowGrown(_window);
        }
        _epochStart = now;
        _receiveWindow += delta;
        return delta;
    }

    private void DropBuffered()
    {
        while (_segments.TryDequeue(out var segment))
        {
            ReceiveBuffers.Pool.Return(segment.Buffer);
        }
        _headOffset = 0;
        _buffered = 0;
    }

    private async Task SendResetAsync()
    {
        try
        {
            await _session.WriteControlAsync(new YamuxHeader(YamuxType.WindowUpdate, YamuxFlags.Rst, Id, 0), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Connection already closed: the reset is implied.
        }
    }

    private void RemoveIfDone()
    {
        lock (_lock)
        {
            if (!(_localClosed && _remoteClosed))
            {
                return;
            }
        }
        _session.RemoveStream(Id);
    }

    private void Signal()
    {
        _readSignal?.TrySetResult();
        _readSignal = null;
        _writeSignal?.TrySetResult();
        _writeSignal = null;
    }

    private readonly record struct Segment(byte[] Buffer, int Length);
}
