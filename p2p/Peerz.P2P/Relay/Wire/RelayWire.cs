using Peerz.P2P.Encoding;

namespace Peerz.P2P.Relay.Wire;

/// <summary>Framing and field decoding shared by the hop and stop messages.</summary>
internal static class RelayWire
{
    public static PeerId DecodePeerId(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return PeerId.FromBytes(bytes);
        }
        catch (Exception ex) when (ex is not FormatException)
        {
            throw new FormatException("invalid peer id", ex);
        }
    }

    public static Multiaddr? TryDecodeAddress(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Multiaddr.FromBytes(bytes);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Reads one varint-length-prefixed message; a message over <paramref name="maxSize"/> is an <see cref="InvalidDataException"/>.</summary>
    public static async Task<byte[]> ReadAsync(Stream stream, int maxSize, CancellationToken ct) =>
        await LengthPrefixed.ReadAsync(stream, maxSize, ct).ConfigureAwait(false);

    public static Task WriteAsync(Stream stream, byte[] message, CancellationToken ct) =>
        LengthPrefixed.WriteAsync(stream, message, ct).AsTask();
}
