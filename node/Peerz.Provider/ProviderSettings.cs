using Peerz.Model.Blocks;
using Peerz.Node.Serving;
using Peerz.P2P;

namespace Peerz.Provider;

/// <summary>Everything peerz-provider was told, after flags, environment and config file are merged.</summary>
public sealed record ProviderSettings
{
    public required string ModelDirectory { get; init; }
    public required string ModelId { get; init; }
    public (int Start, int End)? Blocks { get; init; }
    public int NumBlocks { get; init; }
    /// <summary>How often (on average) a provider that chose its span checks whether to move; zero disables rebalancing.</summary>
    public TimeSpan RebalancePeriod { get; init; }
    public required BlockLoadOptions LoadOptions { get; init; }
    public required ServingLimits Limits { get; init; }
    public required IReadOnlyList<Multiaddr> Listen { get; init; }
    public required IReadOnlyList<Multiaddr> Bootstrap { get; init; }
    public required string IdentityFile { get; init; }
    public required string PricePerToken { get; init; }
}
