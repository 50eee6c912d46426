namespace Peerz.Gateway.Network;

/// <summary>
/// GET /v1/network: what the gateway sees of the swarm at <paramref name="ReadAt"/>. <paramref name="ChainBlock"/> is the
/// block the stake and jail values were read at (null without a chain, or when the read failed: <paramref name="ChainError"/>).
/// </summary>
public sealed record NetworkSnapshot(DateTimeOffset ReadAt, bool Swarm, ulong? ChainBlock, string? ChainError, string? DhtError, IReadOnlyList<ModelMap> Models);

/// <summary>
/// One model's blocks and who serves them. <paramref name="Redundancy"/>[b] counts the providers that can serve block b
/// now (state online or relayed); a block nobody can serve is in a gap.
/// </summary>
public sealed record ModelMap(string Id, int Blocks, IReadOnlyList<ProviderStatus> Providers, IReadOnlyList<int> Redundancy, IReadOnlyList<BlockRange> Gaps);

/// <summary>Blocks [Start, End).</summary>
public sealed record BlockRange(int Start, int End);

/// <summary>
/// One announced provider. <paramref name="State"/> is the verdict drawn on the map: jailed (on chain, whatever it announces),
/// else the announced state when it is not online (joining, offline), else online, relayed (answers, through a relay) or
/// unreachable (no ping answer within the bound). Stake (PRZ wei) and jailed are null when there is no chain or the account is not on it.
/// </summary>
public sealed record ProviderStatus(
    string PeerId,
    string Account,
    int Start,
    int End,
    string State,
    string Announced,
    string Reachability,
    double Throughput,
    string PricePerToken,
    string? Stake,
    bool? Jailed,
    double? LatencyMs,
    string? Error);
