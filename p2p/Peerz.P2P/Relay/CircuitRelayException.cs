namespace Peerz.P2P.Relay;

/// <summary>A relay or a reserved peer refused a request, or answered with something we could not accept.</summary>
public sealed class CircuitRelayException(RelayStatus? status, string message) : Exception(message)
{
    /// <summary>The status the other side answered with, or null when its answer itself was unacceptable.</summary>
    public RelayStatus? Status { get; } = status;
}
