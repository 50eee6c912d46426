namespace Peerz.P2P;

/// <summary>A multiaddr protocol from the multicodec table; Size is in bytes, -1 for varint-length-prefixed values.</summary>
public sealed record MultiaddrProtocol(string Name, int Code, int Size)
{
    public static readonly MultiaddrProtocol Ip4 = new("ip4", 4, 4);
    public static readonly MultiaddrProtocol Tcp = new("tcp", 6, 2);
    public static readonly MultiaddrProtocol Ip6 = new("ip6", 41, 16);
    public static readonly MultiaddrProtocol Dns = new("dns", 53, -1);
    public static readonly MultiaddrProtocol Dns4 = new("dns4", 54, -1);
    public static readonly MultiaddrProtocol Dns6 = new("dns6", 55, -1);
    public static readonly MultiaddrProtocol P2p = new("p2p", 421, -1);

    /// <summary>/p2p-circuit: what follows is reached through the relay named before it (circuit relay v2).</summary>
    public static readonly MultiaddrProtocol P2pCircuit = new("p2p-circuit", 290, 0);

    public static IReadOnlyList<MultiaddrProtocol> All { get; } = [Ip4, Tcp, Ip6, Dns, Dns4, Dns6, P2p, P2pCircuit];

    public static MultiaddrProtocol ByName(string name) =>
        name == "ipfs" ? P2p : All.FirstOrDefault(p => p.Name == name)
        ?? throw new FormatException($"unsupported multiaddr protocol '{name}'");

    public static MultiaddrProtocol ByCode(ulong code) =>
        All.FirstOrDefault(p => (ulong)p.Code == code)
        ?? throw new FormatException($"unsupported multiaddr protocol code {code}");
}
