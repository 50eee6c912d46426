namespace Peerz.P2P.AutoNat;

/// <summary>Bounds of the AutoNAT server; every count, size, rate and time is explicit.</summary>
public sealed class AutoNatServiceOptions
{
    /// <summary>Largest request accepted (js-libp2p uses 8 KiB); a larger one is answered E_BAD_REQUEST.</summary>
    public int MaxMessageSize { get; set; } = 8 * 1024;

    /// <summary>Addresses of one request considered for a dial-back; the rest are ignored.</summary>
    public int MaxAddressesPerRequest { get; set; } = 8;

    /// <summary>Dial-backs running at once across all requesters; a request beyond it is refused (E_DIAL_REFUSED).</summary>
    public int MaxConcurrentDialBacks { get; set; } = 4;

    /// <summary>Requests one peer may make per <see cref="RateLimitInterval"/>.</summary>
    public int MaxRequestsPerPeer { get; set; } = 3;

    /// <summary>Requests all peers together may make per <see cref="RateLimitInterval"/>.</summary>
    public int MaxRequests { get; set; } = 30;

    public TimeSpan RateLimitInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Bound on all dial-backs of one request together (TCP connect + noise handshake each). A reachable host answers
    /// within a few round trips (under 2 s even at 300 ms RTT); a host behind a NAT never does, and this bound is how
    /// long it waits to learn that it is private (go-libp2p uses 15 s).
    /// </summary>
    public TimeSpan DialBackTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bound on reading the request and writing the answer.</summary>
    public TimeSpan StreamTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
