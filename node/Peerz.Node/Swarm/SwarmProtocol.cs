namespace Peerz.Node.Swarm;

public static class SwarmProtocol
{
    /// <summary>Peerz swarms run their own Kademlia so they never mix with the IPFS DHT.</summary>
    public const string KademliaProtocolId = "/peerz/kad/1.0.0";
}
