namespace Peerz.P2P.Relay;

/// <summary>Circuit relay v2 status codes (circuit-v2.md), the answer to every hop and stop request.</summary>
public enum RelayStatus
{
    Ok = 100,
    ReservationRefused = 200,
    ResourceLimitExceeded = 201,
    PermissionDenied = 202,
    ConnectionFailed = 203,
    NoReservation = 204,
    MalformedMessage = 400,
    UnexpectedMessage = 401,
}
