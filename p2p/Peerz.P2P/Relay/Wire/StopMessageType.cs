namespace Peerz.P2P.Relay.Wire;

internal enum StopMessageType
{
    Connect = 0,
    Status = 1,
}
