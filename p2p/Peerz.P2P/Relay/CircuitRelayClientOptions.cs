namespace Peerz.P2P.Relay;

/// <summary>Bounds of the relay client: reservations, renewals, and the STOP handler.</summary>
public sealed class CircuitRelayClientOptions
{
    /// <summary>Bound on one RESERVE or CONNECT exchange with a relay, and on reading a STOP request.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A reservation is renewed this long before it expires (at the latest half-way through its life).</summary>
    public TimeSpan RenewBeforeExpiry { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Renewal attempts before a reservation is given up as lost.</summary>
    public int MaxRenewAttempts { get; set; } = 3;

    /// <summary>Wait between failed renewal attempts (doubled each time).</summary>
    public TimeSpan RenewRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Relays we hold reservations on at once.</summary>
    public int MaxReservations { get; set; } = 8;

    /// <summary>Circuit addresses taken from one reservation (the relay's addresses, each + /p2p-circuit).</summary>
    public int MaxAddressesPerRelay { get; set; } = 4;
}
