using System.Net;
using System.Net.Sockets;
using Peerz.P2P.Multistream;
using Peerz.P2P.Noise;

namespace Peerz.P2P.Tests.Hostile;

/// <summary>A hand-driven client for sending hostile bytes at each layer of a host's upgrade path.</summary>
internal static class RawPeer
{
    public static async Task<NetworkStream> ConnectAsync(Libp2pHost host, CancellationToken ct)
    {
        var (_, ip, port) = host.ListenAddresses[0].GetTcpTarget();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Parse(ip), port, ct);
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Completes multistream + noise (+ yamux selection) as the initiator and returns the secure stream.</summary>
    public static async Task<NoiseStream> SecureAsync(Libp2pHost host, NoiseHandshake noise, CancellationToken ct)
    {
        var tcp = await ConnectAsync(host, ct);
        await MultistreamSelect.SelectAsync(tcp, Libp2pHost.NoiseProtocol, ct);
        var (secure, _) = await noise.RunAsync(tcp, initiator: true, host.PeerId, ct);
        await MultistreamSelect.SelectAsync(secure, Libp2pHost.YamuxProtocol, ct);
        return secure;
    }

    /// <summary>Reads until the remote closes; returns everything received. Bounded by the token.</summary>
    public static async Task<byte[]> ReadToEndAsync(Stream stream, CancellationToken ct)
    {
        using var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, ct)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            // Connection reset counts as closed.
        }
        return received.ToArray();
    }
}
