using System.Text.Json.Serialization;

namespace Peerz.Settlement.Rewards;

/// <summary>
/// GET /v1/epochs/last/earners: the largest rewards of the newest published epoch, largest first, with the root and total
/// posted on chain for it, so a reader can check each entry against its proof (GET /v1/epochs/N/proofs/ACCOUNT) and
/// EpochRewards. One entry per (account, role), as leaves and claims are.
/// </summary>
public sealed record EpochEarners(
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("root")] string Root,
    [property: JsonPropertyName("total")] string Total,
    [property: JsonPropertyName("transactionHash")] string? TransactionHash,
    [property: JsonPropertyName("earners")] IReadOnlyList<EpochEarner> Earners)
{
    /// <summary>The most entries one answer lists.</summary>
    public const int MaxEarners = 100;
}

/// <summary>One reward of <see cref="EpochEarners"/>: the account, its role's name and the amount (decimal PRZ wei).</summary>
public sealed record EpochEarner(
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("amount")] string Amount);
