namespace Peerz.P2P;

/// <summary>
/// A negotiated application stream over a secured, muxed connection. Dispose closes the write side (yamux FIN);
/// <see cref="Reset"/> aborts both directions (yamux RST).
/// </summary>
public sealed class Libp2pStream : Stream
{
    private readonly Yamux.YamuxStream _inner;

    internal Libp2pStream(Yamux.YamuxStream inner, PeerId remotePeer, Multiaddr remoteAddress, string protocol)
    {
        _inner = inner;
        RemotePeer = remotePeer;
        RemoteAddress = remoteAddress;
        Protocol = protocol;
    }

    public PeerId RemotePeer { get; }

    public Multiaddr RemoteAddress { get; }

    public string Protocol { get; internal set; }

    /// <summary>The yamux stream underneath (tests check its window and buffered bytes).</summary>
    internal Yamux.YamuxStream Muxed => _inner;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void Reset() => _inner.Reset();

    /// <summary>Half-closes: the remote reads end-of-stream, this side can still read.</summary>
    public Task CloseWriteAsync(CancellationToken ct) => _inner.CloseWriteAsync(ct);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        _inner.ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) =>
        _inner.WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await _inner.CloseWriteAsync(CancellationToken.None).ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.CloseWriteAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        base.Dispose(disposing);
    }
}
