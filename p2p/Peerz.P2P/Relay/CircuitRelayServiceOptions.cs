namespace Peerz.P2P.Relay;

/// <summary>Limits of a relay (hop side); defaults are sized for inference traffic through a public provider.</summary>
public sealed class CircuitRelayServiceOptions
{
    /// <summary>Reservations held at once; further peers get RESERVATION_REFUSED.</summary>
    public int MaxReservations { get; set; } = 128;

    /// <summary>Reservations held at once by peers connecting from one IP address (a flood from one host is refused).</summary>
    public int MaxReservationsPerIp { get; set; } = 8;

    /// <summary>How long a reservation lasts unless the peer renews it (a renewal counts from its own time).</summary>
    public TimeSpan ReservationTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Relayed connections open at once; further CONNECTs get RESOURCE_LIMIT_EXCEEDED.</summary>
    public int MaxCircuits { get; set; } = 64;

    /// <summary>Relayed connections open at once with one peer at either end.</summary>
    public int MaxCircuitsPerPeer { get; set; } = 8;

    /// <summary>How long one relayed connection may last; it is reset then.</summary>
    public TimeSpan CircuitDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Bytes one relayed connection may carry in each direction; it is reset beyond.</summary>
    public long CircuitDataLimit { get; set; } = 256L * 1024 * 1024;

    /// <summary>Bound on reading a request and on the reserved peer's STOP answer.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most of our addresses put in a reservation answer (keeps it under the message cap).</summary>
    public int MaxAdvertisedAddresses { get; set; } = 8;
}
