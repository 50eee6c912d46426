namespace Peerz.P2P.Dcutr;

/// <summary>How a DCUtR upgrade ended: the direct address now serving the peer, or why the relayed connection stays.</summary>
public sealed record HolePunchResult(PeerId Peer, bool Succeeded, int Attempts, Multiaddr? DirectAddress, string? Error);
