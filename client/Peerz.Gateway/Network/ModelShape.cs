namespace Peerz.Gateway.Network;

/// <summary>A model the gateway maps: its id in the swarm and its number of transformer blocks.</summary>
public sealed record ModelShape(string Id, int Blocks);
