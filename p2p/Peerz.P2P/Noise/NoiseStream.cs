using System.Buffers;
using System.Buffers.Binary;

namespace Peerz.P2P.Noise;

/// <summary>
/// Noise transport messages over a byte stream: 2-byte big-endian length, then ciphertext ‖ tag (≤ 65535 bytes).
/// Writes must not run concurrently (the muxer serializes them); reads likewise come from one loop.
/// Reads pull as much ciphertext as the socket has (several messages per read); a write seals all of its
/// messages into one pooled buffer and hands the transport a single write.
/// </summary>
internal sealed class NoiseStream(Stream transport, CipherState send, CipherState receive) : Stream
{
    public const int MaxPlaintext = ushort.MaxValue - CipherState.TagSize;
    private const int MaxMessage = 2 + ushort.MaxValue;

    /// <summary>Messages sealed per transport write (one 256 KiB yamux batch with its headers); larger writes are split.</summary>
    private const int MessagesPerWrite = 5;

    // Ciphertext read ahead from the transport; each message is decrypted in place and its plaintext served from here.
    private readonly byte[] _in = new byte[2 * MaxMessage];
    private int _inStart;
    private int _inEnd;
    private int _plainOffset; // plaintext of the current message is _in[_plainOffset.._plainLength]
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
            if (!await FillAsync(2, cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(_in.AsSpan(_inStart));
            if (length < CipherState.TagSize)
            {
                throw new InvalidDataException($"noise frame of {length} bytes is shorter than its tag");
            }
            if (!await FillAsync(2 + length, cancellationToken).ConfigureAwait(false))
            {
                throw new EndOfStreamException("connection closed inside a noise frame");
            }
            var message = _in.AsSpan(_inStart + 2, length);
            receive.Decrypt([], message, message);
            _plainOffset = _inStart + 2;
            _plainLength = _plainOffset + length - CipherState.TagSize;
            _inStart += 2 + length;
        }
        var n = Math.Min(buffer.Length, _plainLength - _plainOffset);
        _in.AsSpan(_plainOffset, n).CopyTo(buffer.Span);
        _plainOffset += n;
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var batch = buffer[..Math.Min(buffer.Length, MessagesPerWrite * MaxPlaintext)];
            var messages = (batch.Length + MaxPlaintext - 1) / MaxPlaintext;
            var output = ArrayPool<byte>.Shared.Rent(batch.Length + messages * (2 + CipherState.TagSize));
            try
            {
                var length = Seal(batch.Span, output);
                await transport.WriteAsync(output.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(output);
            }
            buffer = buffer[batch.Length..];
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

    /// <summary>Encrypts plaintext as consecutive transport messages into output; returns the bytes written.</summary>
    private int Seal(ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        var written = 0;
        while (!plaintext.IsEmpty)
        {
            var chunk = plaintext[..Math.Min(plaintext.Length, MaxPlaintext)];
            var frameLength = chunk.Length + CipherState.TagSize;
            BinaryPrimitives.WriteUInt16BigEndian(output[written..], (ushort)frameLength);
            send.Encrypt([], chunk, output.Slice(written + 2, frameLength));
            written += 2 + frameLength;
            plaintext = plaintext[chunk.Length..];
        }
        return written;
    }

    /// <summary>
    /// Ensures at least <paramref name="needed"/> bytes are buffered from <c>_inStart</c>; false when the
    /// transport ends first with nothing buffered, EndOfStreamException when it ends inside a message.
    /// </summary>
    private async ValueTask<bool> FillAsync(int needed, CancellationToken ct)
    {
        while (_inEnd - _inStart < needed)
        {
            if (_in.Length - _inStart < needed)
            {
                // Move the partial message to the front so the rest of it fits.
                _in.AsSpan(_inStart, _inEnd - _inStart).CopyTo(_in);
                _inEnd -= _inStart;
                _inStart = 0;
            }
            var n = await transport.ReadAsync(_in.AsMemory(_inEnd), ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (_inEnd == _inStart)
                {
                    return false;
                }
                throw new EndOfStreamException("connection closed inside a noise frame");
            }
            _inEnd += n;
        }
        return true;
    }
}
