namespace Peerz.P2P.Kademlia.Wire;

/// <summary>Message.ConnectionType of the libp2p kad-dht protobuf.</summary>
public enum DhtConnectionType
{
    NotConnected = 0,
    Connected = 1,
    CanConnect = 2,
    CannotConnect = 3,
}
