using System.Buffers;
using Microsoft.Extensions.Logging;

namespace Peerz.P2P.Relay;

/// <summary>
/// Joins the source's hop stream and the target's stop stream byte for byte. A clean end in one direction is
/// passed on as a half-close; exceeding the data limit in either direction, the duration, or any error resets both.
/// </summary>
internal static class CircuitSplice
{
    private const int BufferSize = 64 * 1024;

    public static async Task RunAsync(Libp2pStream source, Libp2pStream target, TimeSpan duration, long dataLimit, ILogger logger, CancellationToken ct)
    {
        using var circuit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        circuit.CancelAfter(duration);
        var outcome = await Task.WhenAll(
            PumpAsync(source, target, dataLimit, circuit),
            PumpAsync(target, source, dataLimit, circuit)).ConfigureAwait(false);
        var reason = outcome.FirstOrDefault(r => r is not null)
            ?? (circuit.IsCancellationRequested && !ct.IsCancellationRequested ? "duration limit" : null);
        if (reason is not null)
        {
            logger.LogInformation("circuit {Source} -> {Target} reset: {Reason}", source.RemotePeer, target.RemotePeer, reason);
        }
    }

    /// <summary>Copies one direction; returns why it reset the circuit, or null when the sender ended cleanly.</summary>
    private static async Task<string?> PumpAsync(Libp2pStream from, Libp2pStream to, long dataLimit, CancellationTokenSource circuit)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long total = 0;
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer.AsMemory(0, BufferSize), circuit.Token).ConfigureAwait(false)) > 0)
            {
                total += n;
                if (total > dataLimit)
                {
                    Abort(from, to, circuit);
                    return $"data limit of {dataLimit} bytes from {from.RemotePeer} exceeded";
                }
                await to.WriteAsync(buffer.AsMemory(0, n), circuit.Token).ConfigureAwait(false);
            }
            await to.CloseWriteAsync(circuit.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException)
        {
            Abort(from, to, circuit);
            return null;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            if (circuit.IsCancellationRequested)
            {
                return null; // the other direction already reset the circuit, and said why
            }
            Abort(from, to, circuit);
            return $"{from.RemotePeer}: {ex.Message}";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Abort(Libp2pStream from, Libp2pStream to, CancellationTokenSource circuit)
    {
        circuit.Cancel();
        from.Reset();
        to.Reset();
    }
}
