namespace Peerz.P2P.AutoNat;

/// <summary>How often and whom the AutoNAT client asks, and how it turns answers into a verdict.</summary>
public sealed class AutoNatClientOptions
{
    /// <summary>Servers asked per round (connected peers whose identify lists /libp2p/autonat/1.0.0, picked at random).</summary>
    public int MaxServersPerProbe { get; set; } = 4;

    /// <summary>OK answers in one round that make us Public.</summary>
    public int SuccessesForPublic { get; set; } = 1;

    /// <summary>E_DIAL_ERROR answers in one round, with no OK, that make us Private.</summary>
    public int FailuresForPrivate { get; set; } = 2;

    /// <summary>
    /// How many agreeing rounds a verdict stores up (go-libp2p's "confidence"): a round that disagrees, or says
    /// nothing, first spends one before the verdict changes.
    /// </summary>
    public int MaxConfidence { get; set; } = 3;

    /// <summary>
    /// Wait after <see cref="AutoNatClient.StartAsync"/> before the first round: identify with the bootstrap peers (which
    /// tells us who serves AutoNAT and where they see us) runs as their connections open, well within this.
    /// </summary>
    public TimeSpan StartDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time between rounds once the verdict is Public or Private.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Time between rounds while the verdict is Unknown.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Bound on one request (the server's dial-backs included).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest answer accepted.</summary>
    public int MaxMessageSize { get; set; } = 8 * 1024;
}
