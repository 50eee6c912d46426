namespace Peerz.P2P.Yamux;

/// <summary>
/// One yamux stream. Received data is buffered up to the receive window (the sender must not exceed it);
/// a window update goes back once half the window has been consumed. Writes wait for send window.
/// </summary>
internal sealed class YamuxStream
{
    // One yamux frame (header + payload) fills exactly one noise transport message.
    private const int MaxFrame = Noise.NoiseStream.MaxPlaintext - YamuxHeader.Size;

    private readonly YamuxSession _session;
    private readonly uint _window;
    private readonly object _lock = new();
    private readonly Queue<byte[]> _segments = new();
    private int _headOffset;
    private uint _receiveWindow;
    private uint _consumed;
    private long _sendWindow;
    private bool _remoteClosed;
    private bool _localClosed;
    private Exception? _error;
    private TaskCompletionSource? _readSignal;
    private TaskCompletionSource? _writeSignal;

    public YamuxStream(YamuxSession session, uint id, uint window)
    {
        _session = session;
        Id = id;
        _window = window;
        _receiveWindow = window;
        _sendWindow = YamuxSession.InitialWindow;
    }

    public uint Id { get; }

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
                    head.AsSpan(_headOffset, n).CopyTo(buffer.Span[copied..]);
                    copied += n;
                    _headOffset += n;
                    if (_headOffset == head.Length)
                    {
                        _segments.Dequeue();
                        _headOffset = 0;
                    }
                }
                if (copied > 0)
                {
                    _consumed += (uint)copied;
                    if (_consumed >= _window / 2 && !_remoteClosed && _error is null)
                    {
                        update = _consumed;
                        _receiveWindow += _consumed;
                        _consumed = 0;
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
                    await SendFrameAsync(YamuxType.WindowUpdate, YamuxFlags.None, update, default, ct).ConfigureAwait(false);
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
                    chunk = (int)Math.Min(Math.Min(buffer.Length, _sendWindow), MaxFrame);
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
                await SendFrameAsync(YamuxType.Data, YamuxFlags.None, (uint)chunk, buffer[..chunk], ct).ConfigureAwait(false);
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
            await SendFrameAsync(YamuxType.WindowUpdate, YamuxFlags.Fin, 0, default, ct).ConfigureAwait(false);
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
            Signal();
        }
        _session.RemoveStream(Id);
        _ = SendResetAsync();
    }

    /// <summary>Called by the session's read loop; false when the frame exceeds the receive window.</summary>
    internal bool OnData(byte[] data)
    {
        lock (_lock)
        {
            if (data.Length > _receiveWindow)
            {
                return false;
            }
            _receiveWindow -= (uint)data.Length;
            if (data.Length > 0 && _error is null && !_remoteClosed)
            {
                _segments.Enqueue(data);
                Signal();
            }
            return true;
        }
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
            _error ??= reason;
            Signal();
        }
    }

    private Task SendFrameAsync(YamuxType type, YamuxFlags flags, uint length, ReadOnlyMemory<byte> payload, CancellationToken ct) =>
        _session.WriteFrameAsync(new YamuxHeader(type, flags, Id, length), payload, ct);

    private async Task SendResetAsync()
    {
        try
        {
            await SendFrameAsync(YamuxType.WindowUpdate, YamuxFlags.Rst, 0, default, CancellationToken.None).ConfigureAwait(false);
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
}
