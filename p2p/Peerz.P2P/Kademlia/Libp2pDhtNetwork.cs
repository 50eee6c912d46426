namespace Peerz.P2P.Kademlia;

/// <summary>
/// Binds the DHT to a <see cref="Libp2pHost"/>. Peer ids and addresses arriving from peers are untrusted:
/// malformed ones are dropped here instead of failing the whole response that carried them.
/// </summary>
public sealed class Libp2pDhtNetwork(Libp2pHost host) : IDhtNetwork
{
    public byte[] LocalPeerId { get; } = host.PeerId.ToBytes();

    public IReadOnlyList<byte[]> LocalAddresses => [.. host.AdvertisedAddresses.Select(a => a.ToBytes())];

    public void SetStreamHandler(string protocolId, Func<byte[], Stream, CancellationToken, Task> handler) =>
        host.SetStreamHandler(protocolId, (stream, ct) => handler(stream.RemotePeer.ToBytes(), stream, ct));

    public async Task<Stream> OpenStreamAsync(byte[] peerId, string protocolId, CancellationToken ct) =>
        await host.OpenStreamAsync(PeerId.FromBytes(peerId), protocolId, ct).ConfigureAwait(false);

    public async Task<byte[]> ConnectAsync(byte[] multiaddr, CancellationToken ct) =>
        (await host.ConnectAsync(Multiaddr.FromBytes(multiaddr), ct).ConfigureAwait(false)).ToBytes();

    public void AddAddresses(byte[] peerId, IEnumerable<byte[]> multiaddrs)
    {
        if (TryPeerId(peerId) is not { } peer)
            return;
        // The peer store keys addresses by peer already; a trailing /p2p/ would only be repeated to other peers.
        var parsed = multiaddrs.Select(TryMultiaddr).OfType<Multiaddr>().Select(a => a.WithoutPeerId()).ToList();
        if (parsed.Count > 0)
            host.AddAddresses(peer, parsed);
    }

    public IReadOnlyList<byte[]> GetAddresses(byte[] peerId) =>
        TryPeerId(peerId) is { } peer ? [.. host.GetAddresses(peer).Select(a => a.ToBytes())] : [];

    private static PeerId? TryPeerId(byte[] bytes)
    {
        try
        {
            return PeerId.FromBytes(bytes);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static Multiaddr? TryMultiaddr(byte[] bytes)
    {
        try
        {
            return Multiaddr.FromBytes(bytes);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
