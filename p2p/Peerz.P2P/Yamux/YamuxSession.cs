using System.Buffers;
using Microsoft.Extensions.Logging;

namespace Peerz.P2P.Yamux;

/// <summary>
/// A yamux 1.0.0 session over a secured connection. One loop reads frames; writes are serialized by a lock.
/// Every stream's receive buffer is bounded by its window, so memory per session is bounded by
/// MaxStreams × InitialWindow. Protocol violations send GoAway(protocol error) and close the connection.
/// </summary>
internal sealed class YamuxSession : IAsyncDisposable
{
    public const uint InitialWindow = 256 * 1024;
    private const uint GoAwayNormal = 0;
    private const uint GoAwayProtocolError = 1;

    private readonly Stream _transport;
    private readonly bool _isClient;
    private readonly int _maxStreams;
    private readonly ILogger _logger;
    private readonly Func<YamuxStream, Task> _onInbound;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<uint, YamuxStream> _streams = [];
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private uint _nextStreamId;
    private bool _goAwayReceived;
    private Exception? _closeReason;

    public YamuxSession(Stream transport, bool isClient, int maxStreams, ILogger logger, Func<YamuxStream, Task> onInbound)
    {
        _transport = transport;
        _isClient = isClient;
        _maxStreams = maxStreams;
        _logger = logger;
        _onInbound = onInbound;
        _nextStreamId = isClient ? 1u : 2u;
    }

    /// <summary>Completes when the session has closed, for whatever reason.</summary>
    public Task Completion => _completion.Task;

    public bool IsClosed => _closed.IsCancellationRequested;

    public void Start() => _ = Task.Run(ReadLoopAsync);

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
            stream = new YamuxStream(this, _nextStreamId, InitialWindow);
            _nextStreamId += 2;
            _streams.Add(stream.Id, stream);
        }
        await WriteFrameAsync(new YamuxHeader(YamuxType.WindowUpdate, YamuxFlags.Syn, stream.Id, 0), default, ct).ConfigureAwait(false);
        return stream;
    }

    internal async Task WriteFrameAsync(YamuxHeader header, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var frame = ArrayPool<byte>.Shared.Rent(YamuxHeader.Size + payload.Length);
        try
        {
            header.Write(frame);
            payload.Span.CopyTo(frame.AsSpan(YamuxHeader.Size));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _closed.Token);
            await _writeLock.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                await _transport.WriteAsync(frame.AsMemory(0, YamuxHeader.Size + payload.Length), linked.Token).ConfigureAwait(false);
                await _transport.FlushAsync(linked.Token).ConfigureAwait(false);
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
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
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
                _logger.LogDebug("yamux connection ended: {Reason}", ex.Message);
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
            if (header.Length > InitialWindow)
            {
                throw new YamuxProtocolException($"data frame of {header.Length} bytes exceeds any window we granted");
            }
            var data = new byte[header.Length];
            await _transport.ReadExactlyAsync(data, _closed.Token).ConfigureAwait(false);
            if (stream is not null && !stream.OnData(data))
            {
                throw new YamuxProtocolException($"stream {header.StreamId} exceeded its receive window");
            }
        }
        else if (stream is not null)
        {
            stream.OnWindowUpdate(header.Length);
        }
        stream?.OnFlags(header.Flags);
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
            stream = new YamuxStream(this, id, InitialWindow);
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
        SendControl(new YamuxHeader(YamuxType.WindowUpdate, YamuxFlags.Ack, id, 0));
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
            await WriteFrameAsync(header, default, _closed.Token).ConfigureAwait(false);
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
            await WriteFrameAsync(new YamuxHeader(YamuxType.GoAway, YamuxFlags.None, 0, code), default, timeout.Token).ConfigureAwait(false);
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
