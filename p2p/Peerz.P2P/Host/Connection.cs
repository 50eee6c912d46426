using Peerz.P2P.Yamux;

namespace Peerz.P2P.Host;

/// <summary>A secured, muxed connection to one remote peer, direct (TCP) or through a relay.</summary>
internal sealed record Connection(PeerId RemotePeer, Multiaddr RemoteAddress, bool Inbound, YamuxSession Session)
{
    public bool IsRelayed => RemoteAddress.IsCircuit;
}
