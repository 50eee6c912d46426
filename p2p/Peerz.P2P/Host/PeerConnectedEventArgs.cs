namespace Peerz.P2P;

/// <summary>Raised when a secured, muxed connection to a peer is established (either direction).</summary>
public sealed class PeerConnectedEventArgs(PeerId peer, Multiaddr remoteAddress, bool inbound) : EventArgs
{
    public PeerId Peer { get; } = peer;

    public Multiaddr RemoteAddress { get; } = remoteAddress;

    public bool Inbound { get; } = inbound;
}
