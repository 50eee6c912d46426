using System.Net;
using System.Net.Sockets;

namespace Peerz.P2P.Host;

/// <summary>
/// TCP sockets with port reuse: a hole-punching dial (DCUtR) leaves from the listen port (SO_REUSEADDR +
/// SO_REUSEPORT on both sockets), so a port-preserving NAT maps it to the public port the other side dials.
/// </summary>
internal static class TcpDialer
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    public static TcpListener Listen(IPAddress address, int port, bool reusePort)
    {
        var listener = new TcpListener(address, port);
        if (reusePort)
        {
            EnableReuse(listener.Server);
        }
        listener.Start(backlog: 512);
        return listener;
    }

    /// <summary>Connects, from <paramref name="localPort"/> when given.</summary>
    public static async Task<Socket> ConnectAsync(IPEndPoint remote, int? localPort, CancellationToken ct)
    {
        var socket = NewSocket(remote.AddressFamily);
        try
        {
            if (localPort is { } port)
            {
                EnableReuse(socket);
                socket.Bind(new IPEndPoint(remote.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, port));
            }
            await socket.ConnectAsync(remote, ct).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket NewSocket(AddressFamily family) => new(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    private static void EnableReuse(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
        }
    }
}
