namespace Peerz.P2P.Kademlia.Wire;

/// <summary>Message.MessageType of the libp2p kad-dht protobuf.</summary>
public enum DhtMessageType
{
    PutValue = 0,
    GetValue = 1,
    AddProvider = 2,
    GetProviders = 3,
    FindNode = 4,
    Ping = 5,
}
