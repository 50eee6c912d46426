namespace Peerz.P2P.Relay.Wire;

internal enum HopMessageType
{
    Reserve = 0,
    Connect = 1,
    Status = 2,
}
