using Peerz.P2P;

namespace Peerz.Node.Swarm;

/// <summary>How a provider joins the swarm (everything but the model, which <see cref="Serving.ServedSpan"/> holds).</summary>
public sealed record ProviderNodeOptions
{
    public required Identity Identity { get; init; }
    public IReadOnlyList<Multiaddr> ListenAddresses { get; init; } = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")];
    public IReadOnlyList<Multiaddr> Bootstrap { get; init; } = [];
    /// <summary>PRZ wei per token per block, as a decimal string (announced only; without <see cref="Payments"/> nothing is charged).</summary>
    public string PricePerToken { get; init; } = "0";
    /// <summary>Charging and receipts on chain; null serves for free without receipts.</summary>
    public Payments.ProviderPayments? Payments { get; init; }
    /// <summary>Who holds VERIFIER_ROLE, for /peerz/payload; null lets only a session's own client read its payloads.</summary>
    public Payments.VerifierRoles? Verifiers { get; init; }
    /// <summary>How long an announcement stays valid; it is refreshed at a third of this.</summary>
    public TimeSpan AnnouncementTtl { get; init; } = TimeSpan.FromSeconds(90);
    public string KademliaProtocolId { get; init; } = SwarmProtocol.KademliaProtocolId;
    /// <summary>Upper bound of a yamux stream's auto-tuned receive window (see <see cref="Libp2pHostOptions.MaxReceiveWindow"/>).</summary>
    public int MaxReceiveWindow { get; init; } = new Libp2pHostOptions().MaxReceiveWindow;
    /// <summary>AutoNAT, relays and hole punching (see <see cref="NatTraversal"/>).</summary>
    public NatTraversalOptions Nat { get; init; } = new();
    /// <summary>Server-to-server push: forwarding outputs to a route's next hop and taking pushed inputs.</summary>
    public Push.PushOptions Push { get; init; } = new();
}
