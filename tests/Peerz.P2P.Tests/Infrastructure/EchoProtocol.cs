namespace Peerz.P2P.Tests.Infrastructure;

/// <summary>The /peerz/echo/1.0.0 test protocol: echo every byte until end of stream, then close.</summary>
internal static class EchoProtocol
{
    public const string Id = "/peerz/echo/1.0.0";

    public static async Task HandleAsync(Libp2pStream stream, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, n), ct);
        }
    }

    /// <summary>Sends <paramref name="size"/> random bytes while reading the echo concurrently; returns true if identical.</summary>
    public static async Task<bool> RoundTripAsync(Libp2pStream stream, int size, CancellationToken ct)
    {
        var data = new byte[size];
        Random.Shared.NextBytes(data);
        var received = new byte[size];
        var reading = stream.ReadAtLeastAsync(received, size, throwOnEndOfStream: true, ct).AsTask();
        await stream.WriteAsync(data, ct);
        await stream.CloseWriteAsync(ct);
        await reading;
        var extra = await stream.ReadAsync(new byte[1], ct);
        return extra == 0 && data.AsSpan().SequenceEqual(received);
    }
}
