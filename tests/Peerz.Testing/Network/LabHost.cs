using System.Net;

namespace Peerz.Testing.Network;

/// <summary>A machine in a <see cref="NetworkLab"/>: its namespace and address, and the home router it sits behind (null on the public side).</summary>
public sealed record LabHost(string Role, string Namespace, IPAddress Address, LabRouter? Router)
{
    public bool IsPrivate => Router is not null;

    /// <summary>Where the public side sees this host's connections come from: the router's WAN address, or the host's own.</summary>
    public IPAddress PublicAddress => Router?.PublicAddress ?? Address;

    /// <summary>A TCP multiaddr on this host's own address (what a process here listens on).</summary>
    public string TcpAddress(int port) => $"/ip4/{Address}/tcp/{port}";

    public override string ToString() => Router is null ? $"{Role} ({Address}, public)" : $"{Role} ({Address} behind {Router.Kind} NAT {Router.PublicAddress})";
}

/// <summary>A home router: WAN side on the public bridge, LAN side to one host, MASQUERADE of <see cref="Kind"/>, unsolicited inbound dropped.</summary>
public sealed record LabRouter(string Namespace, IPAddress PublicAddress, NatKind Kind);
