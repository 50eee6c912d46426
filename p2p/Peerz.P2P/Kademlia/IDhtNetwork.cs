namespace Peerz.P2P.Kademlia;

/// <summary>
/// What the DHT needs from a libp2p host: streams by peer id and protocol, inbound stream handlers, and the
/// peer store's addresses. Peer ids are multihash bytes and addresses are binary multiaddrs, exactly as
/// they travel in DHT messages, so the DHT core does no parsing of its own.
/// </summary>
public interface IDhtNetwork
{
    byte[] LocalPeerId { get; }

    /// <summary>Addresses other peers can dial us on (binary multiaddrs).</summary>
    IReadOnlyList<byte[]> LocalAddresses { get; }

    /// <summary>Registers the handler for inbound streams of a protocol; it receives the authenticated remote peer id.</summary>
    void SetStreamHandler(string protocolId, Func<byte[], Stream, CancellationToken, Task> handler);

    Task<Stream> OpenStreamAsync(byte[] peerId, string protocolId, CancellationToken ct);

    /// <summary>Dials an address and returns the peer id that answered.</summary>
    Task<byte[]> ConnectAsync(byte[] multiaddr, CancellationToken ct);

    void AddAddresses(byte[] peerId, IEnumerable<byte[]> multiaddrs);

    IReadOnlyList<byte[]> GetAddresses(byte[] peerId);
}
