namespace Peerz.P2P.Dcutr;

/// <summary>Bounds of DCUtR hole punching; every count, size and time is explicit.</summary>
public sealed class HolePuncherOptions
{
    /// <summary>Start an upgrade by ourselves for every inbound relayed connection (the spec's peer B).</summary>
    public bool AutoUpgrade { get; set; } = true;

    /// <summary>CONNECT/SYNC rounds before giving up (the spec: the inbound peer retries twice).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Addresses sent, and addresses of the remote's CONNECT considered (the rest ignored).</summary>
    public int MaxAddresses { get; set; } = 8;

    /// <summary>Largest message accepted (the spec: refuse above 4 KiB).</summary>
    public int MaxMessageSize { get; set; } = 4 * 1024;

    /// <summary>Bound on one attempt: its message exchange, the RTT/2 wait and the dials.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Least time an attempt's dials get, whatever the measured round trip (ten round trips otherwise).</summary>
    public TimeSpan MinPunchTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
