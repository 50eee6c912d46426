namespace Peerz.P2P;

/// <summary>Raised after identify with a newly connected peer completed (protocols, listen addresses, agent).</summary>
public sealed class PeerIdentifiedEventArgs(PeerId peer, IdentifyInfo info) : EventArgs
{
    public PeerId Peer { get; } = peer;

    public IdentifyInfo Info { get; } = info;
}
