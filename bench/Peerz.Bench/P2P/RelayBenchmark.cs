using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P;
using Peerz.P2P.Relay;

namespace Peerz.Bench.P2P;

/// <summary>
/// A relayed connection beside a direct one in the same run, on loopback: one stream's throughput into a sink, and
/// the round-trip time of a small message (median of many), to a target reached once directly and once through a
/// circuit relay v2 hop (<c>CircuitRelayService</c>) it holds a reservation on. All hosts live in this process, so the
/// relay's cost shows as the extra copy, noise and yamux work of the hop, not as extra network distance.
/// </summary>
internal static class RelayBenchmark
{
    private const string EchoProtocol = "/peerz/bench/echo/1.0.0";
    private const int EchoSize = 64;

    public static async Task RunAsync(string[] args)
    {
        var megabytes = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 128;
        var pings = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 500;
        var rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var bytes = (long)megabytes * 1024 * 1024;
        var logs = NullLoggerFactory.Instance;

        await using var relayHost = await StartHostAsync();
        // The default circuit data limit (256 MiB) is sized for inference; the benchmark moves more through one circuit.
        await using var relay = new CircuitRelayService(relayHost, new CircuitRelayServiceOptions { CircuitDataLimit = long.MaxValue, CircuitDuration = TimeSpan.FromHours(1) });
        await using var target = await StartHostAsync();
        await using var targetRelayClient = new CircuitRelayClient(target, new CircuitRelayClientOptions());
        await target.ConnectAsync(relayHost.ListenAddresses[0], CancellationToken.None);
        var reservation = await targetRelayClient.ReserveAsync(relayHost.PeerId, CancellationToken.None);
        var circuit = reservation.CircuitAddresses[0];
        var direct = target.ListenAddresses[0].WithPeerId(target.PeerId);

        // Two dialers so each keeps exactly one connection to the target: one direct, one relayed.
        await using var directDialer = new Libp2pHost(new Libp2pHostOptions(), logs);
        await using var relayedDialer = new Libp2pHost(new Libp2pHostOptions(), logs);
        await using var relayedDialerClient = new CircuitRelayClient(relayedDialer, new CircuitRelayClientOptions());
        await directDialer.ConnectAsync(direct, CancellationToken.None);
        await relayedDialer.ConnectAsync(circuit, CancellationToken.None);
        if (!relayedDialer.GetConnectionAddress(target.PeerId)!.IsCircuit || directDialer.GetConnectionAddress(target.PeerId)!.IsCircuit)
            throw new InvalidOperationException("the dialers' connections are not the direct and relayed ones intended");

        // Warm-up (JIT, window growth) on both paths.
        await P2PBenchmark.StreamThroughputAsync(directDialer, direct, 16L << 20);
        await P2PBenchmark.StreamThroughputAsync(relayedDialer, circuit, 16L << 20);
        await EchoRoundTripAsync(directDialer, direct, 50);
        await EchoRoundTripAsync(relayedDialer, circuit, 50);

        var throughputRatios = new List<double>();
        var rttRatios = new List<double>();
        double bestDirect = 0, bestRelayed = 0, directRtt = double.MaxValue, relayedRtt = double.MaxValue;
        for (var round = 1; round <= rounds; round++)
        {
            var d = await P2PBenchmark.StreamThroughputAsync(directDialer, direct, bytes);
            var r = await P2PBenchmark.StreamThroughputAsync(relayedDialer, circuit, bytes);
            var dRtt = await EchoRoundTripAsync(directDialer, direct, pings);
            var rRtt = await EchoRoundTripAsync(relayedDialer, circuit, pings);
            Console.WriteLine($"round {round}: direct {d:F1} MiB/s, RTT {dRtt:F1} µs; relayed {r:F1} MiB/s ({100 * r / d:F1} %), RTT {rRtt:F1} µs ({rRtt / dRtt:F2}×)");
            (bestDirect, bestRelayed) = (Math.Max(bestDirect, d), Math.Max(bestRelayed, r));
            (directRtt, relayedRtt) = (Math.Min(directRtt, dRtt), Math.Min(relayedRtt, rRtt));
            throughputRatios.Add(r / d);
            rttRatios.Add(rRtt / dRtt);
        }
        Console.WriteLine($"best of {rounds} rounds ({megabytes} MiB per transfer, median of {pings} echo round trips of {EchoSize} bytes):");
        Console.WriteLine($"direct stream:   {bestDirect:F1} MiB/s, RTT {directRtt:F1} µs");
        Console.WriteLine($"relayed stream:  {bestRelayed:F1} MiB/s ({100 * bestRelayed / bestDirect:F1} % of direct; median per-round ratio {100 * Statistics.Median(throughputRatios):F1} %), " +
            $"RTT {relayedRtt:F1} µs ({relayedRtt / directRtt:F2}× direct; median per-round ratio {Statistics.Median(rttRatios):F2}×)");
    }

    private static async Task<Libp2pHost> StartHostAsync()
    {
        var host = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, NullLoggerFactory.Instance);
        host.SetStreamHandler(P2PBenchmark.SinkProtocol, P2PBenchmark.SinkAsync);
        host.SetStreamHandler(EchoProtocol, EchoAsync);
        await host.StartAsync(CancellationToken.None);
        return host;
    }

    private static async Task EchoAsync(Libp2pStream stream, CancellationToken ct)
    {
        var buffer = new byte[EchoSize];
        while (true)
        {
            try
            {
                await stream.ReadExactlyAsync(buffer, ct);
            }
            catch (EndOfStreamException)
            {
                return;
            }
            await stream.WriteAsync(buffer, ct);
        }
    }

    /// <summary>Median microseconds for a 64-byte message to reach the target's echo and come back, on one stream.</summary>
    private static async Task<double> EchoRoundTripAsync(Libp2pHost dialer, Multiaddr address, int count)
    {
        await using var stream = await dialer.OpenStreamAsync(address, EchoProtocol, CancellationToken.None);
        var message = new byte[EchoSize];
        var reply = new byte[EchoSize];
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            message[0] = (byte)i;
            var watch = Stopwatch.StartNew();
            await stream.WriteAsync(message);
            await stream.ReadExactlyAsync(reply);
            samples.Add(watch.Elapsed.TotalMicroseconds);
            if (reply[0] != message[0]) throw new InvalidOperationException("echo returned another message");
        }
        await stream.CloseWriteAsync(CancellationToken.None);
        return Statistics.Median(samples);
    }
}
