using Peerz.P2P.Encoding;

namespace Peerz.P2P.Multistream;

/// <summary>multistream-select 1.0.0: varint-length-prefixed, newline-terminated protocol ids; "na" rejects.</summary>
internal static class MultistreamSelect
{
    public const string Header = "/multistream/1.0.0";
    public const string NotAvailable = "na";

    /// <summary>Longest message we accept; protocol ids are short strings.</summary>
    public const int MaxMessageLength = 1024;

    /// <summary>How many proposals a listener answers before giving up on the peer.</summary>
    private const int MaxProposals = 16;

    /// <summary>Dialer side: proposes one protocol (header and proposal in one write) and checks the answer.</summary>
    public static async Task SelectAsync(Stream stream, string protocol, CancellationToken ct)
    {
        await WriteAsync(stream, [Header, protocol], ct).ConfigureAwait(false);
        var header = await ReadAsync(stream, ct).ConfigureAwait(false);
        if (header != Header)
        {
            throw new InvalidDataException($"unexpected multistream header '{header}'");
        }
        var answer = await ReadAsync(stream, ct).ConfigureAwait(false);
        if (answer == NotAvailable)
        {
            throw new ProtocolNotSupportedException(protocol);
        }
        if (answer != protocol)
        {
            throw new InvalidDataException($"multistream answered '{answer}' to '{protocol}'");
        }
    }

    /// <summary>Listener side: answers "na" to unsupported proposals and returns the first supported one.</summary>
    public static async Task<string> ListenAsync(Stream stream, Func<string, bool> isSupported, CancellationToken ct)
    {
        var header = await ReadAsync(stream, ct).ConfigureAwait(false);
        if (header != Header)
        {
            throw new InvalidDataException($"unexpected multistream header '{header}'");
        }
        await WriteAsync(stream, [Header], ct).ConfigureAwait(false);
        for (var i = 0; i < MaxProposals; i++)
        {
            var proposal = await ReadAsync(stream, ct).ConfigureAwait(false);
            if (proposal != NotAvailable && proposal != "ls" && isSupported(proposal))
            {
                await WriteAsync(stream, [proposal], ct).ConfigureAwait(false);
                return proposal;
            }
            await WriteAsync(stream, [NotAvailable], ct).ConfigureAwait(false);
        }
        throw new InvalidDataException($"peer made more than {MaxProposals} unsupported proposals");
    }

    public static byte[] Encode(string message)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(message + "\n");
        return [.. Varint.Encode((ulong)body.Length), .. body];
    }

    /// <summary>Decodes one message from a buffer; returns null when more bytes are needed.</summary>
    public static string? TryDecode(ReadOnlySpan<byte> data, out int consumed)
    {
        consumed = 0;
        if (!Varint.TryRead(data, out var length, out var n))
        {
            return null;
        }
        if (length is 0 or > MaxMessageLength)
        {
            throw new InvalidDataException($"multistream message length {length} out of range");
        }
        if ((ulong)(data.Length - n) < length)
        {
            return null;
        }
        var body = data.Slice(n, (int)length);
        if (body[^1] != (byte)'\n')
        {
            throw new InvalidDataException("multistream message is not newline-terminated");
        }
        consumed = n + (int)length;
        return System.Text.Encoding.UTF8.GetString(body[..^1]);
    }

    private static async Task WriteAsync(Stream stream, string[] messages, CancellationToken ct)
    {
        await stream.WriteAsync(messages.SelectMany(Encode).ToArray(), ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task<string> ReadAsync(Stream stream, CancellationToken ct)
    {
        var length = await Varint.ReadAsync(stream, ct).ConfigureAwait(false)
            ?? throw new EndOfStreamException("stream closed during multistream negotiation");
        if (length is 0 or > MaxMessageLength)
        {
            throw new InvalidDataException($"multistream message length {length} out of range");
        }
        var frame = new byte[Varint.GetLength(length) + (int)length];
        var n = Varint.Write(length, frame);
        await stream.ReadExactlyAsync(frame.AsMemory(n), ct).ConfigureAwait(false);
        return TryDecode(frame, out _)!;
    }
}
