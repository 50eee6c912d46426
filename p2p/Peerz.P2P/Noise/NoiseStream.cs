using System.Buffers.Binary;

namespace Peerz.P2P.Noise;

/// <summary>
/// Noise transport messages over a byte stream: 2-byte big-endian length, then ciphertext ‖ tag (≤ 65535 bytes).
/// Writes must not run concurrently (the muxer serializes them); reads likewise come from one loop.
/// </summary>
internal sealed class NoiseStream(Stream transport, CipherState send, CipherState receive) : Stream
{
    public const int MaxPlaintext = ushort.MaxValue - CipherState.TagSize;

    private readonly byte[] _readFrame = new byte[ushort.MaxValue];
    private readonly byte[] _plain = new byte[MaxPlaintext];
    private readonly byte[] _writeFrame = new byte[2 + ushort.MaxValue];
    private int _plainOffset;
    private int _plainLength;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        while (_plainOffset == _plainLength)
        {
            var header = _readFrame.AsMemory(0, 2);
            var first = await transport.ReadAsync(header[..1], cancellationToken).ConfigureAwait(false);
            if (first == 0)
            {
                return 0;
            }
            await transport.ReadExactlyAsync(header[1..], cancellationToken).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadUInt16BigEndian(header.Span);
            if (length < CipherState.TagSize)
            {
                throw new InvalidDataException($"noise frame of {length} bytes is shorter than its tag");
            }
            await transport.ReadExactlyAsync(_readFrame.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            receive.Decrypt([], _readFrame.AsSpan(0, length), _plain);
            _plainOffset = 0;
            _plainLength = length - CipherState.TagSize;
        }
        var n = Math.Min(buffer.Length, _plainLength - _plainOffset);
        _plain.AsSpan(_plainOffset, n).CopyTo(buffer.Span);
        _plainOffset += n;
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var chunk = buffer[..Math.Min(buffer.Length, MaxPlaintext)];
            var frameLength = chunk.Length + CipherState.TagSize;
            BinaryPrimitives.WriteUInt16BigEndian(_writeFrame, (ushort)frameLength);
            send.Encrypt([], chunk.Span, _writeFrame.AsSpan(2, frameLength));
            await transport.WriteAsync(_writeFrame.AsMemory(0, 2 + frameLength), cancellationToken).ConfigureAwait(false);
            buffer = buffer[chunk.Length..];
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => transport.FlushAsync(cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush() => transport.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            send.Dispose();
            receive.Dispose();
            transport.Dispose();
        }
        base.Dispose(disposing);
    }
}
