namespace Peerz.P2P;

/// <summary>Configuration of a <see cref="Libp2pHost"/>; every limit is explicit.</summary>
public sealed class Libp2pHostOptions
{
    public Identity Identity { get; set; } = Identity.Generate();

    /// <summary>Addresses to listen on, e.g. /ip4/127.0.0.1/tcp/0 (port 0 picks a free port).</summary>
    public IList<Multiaddr> ListenAddresses { get; set; } = [];

    /// <summary>Addresses to advertise besides the listen addresses, e.g. a router's forwarded public port (identify, DHT records).</summary>
    public IList<Multiaddr> AnnounceAddresses { get; set; } = [];

    public int MaxConnections { get; set; } = 256;

    public int MaxStreamsPerConnection { get; set; } = 256;

    /// <summary>
    /// Upper bound of a yamux stream's receive window in bytes. Windows start at 256 KiB and double toward this
    /// while the reader keeps up (so one transfer over a long link is not held to 256 KiB per round trip);
    /// 256 KiB keeps the fixed window of yamux's spec. Worst-case buffered memory per connection is
    /// MaxStreamsPerConnection × this.
    /// </summary>
    public int MaxReceiveWindow { get; set; } = 16 * 1024 * 1024;

    /// <summary>Bound on TCP connect + multistream + noise + yamux negotiation.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on negotiating the protocol of a new stream.</summary>
    public TimeSpan StreamNegotiationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Listeners allow a second socket on their port (SO_REUSEPORT), so hole-punching dials (DCUtR) can leave
    /// from the listen port and a port-preserving NAT maps them to the public port peers were told.
    /// </summary>
    public bool PortReuse { get; set; } = true;

    public string AgentVersion { get; set; } = "peerz/0.1.0";

    public string ProtocolVersion { get; set; } = "ipfs/0.1.0";
}
