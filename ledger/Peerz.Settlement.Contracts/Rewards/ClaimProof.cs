using System.Numerics;
using System.Text.Json.Serialization;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Rewards;

/// <summary>
/// What an account needs to claim an epoch (GET /v1/epochs/N/proofs/ACCOUNT, or its entry in epoch-N.json):
/// one <see cref="RoleClaim"/> per role it earned in, each claimed separately on chain.
/// </summary>
public sealed record ClaimProof(
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("root")] string Root,
    [property: JsonPropertyName("claims")] IReadOnlyList<RoleClaim> Claims)
{
    /// <summary>At most one claim per role.</summary>
    public const int MaxClaims = 4;

    /// <exception cref="FormatException">The account or a claim is not what EpochRewards.claim takes.</exception>
    public (Address Account, IReadOnlyList<(RewardRole Role, BigInteger Amount, IReadOnlyList<byte[]> Proof)> Claims) Parse()
    {
        if (!Address.TryParse(Account ?? "", out var account)) throw new FormatException($"'{Account}' is not an address");
        if (Claims is null || Claims.Count > MaxClaims) throw new FormatException("the claims are missing or more than one per role");
        var parsed = Claims.Select(c => c.Parse()).ToArray();
        if (parsed.Select(c => c.Role).Distinct().Count() != parsed.Length) throw new FormatException("a role is listed twice");
        return (account, parsed);
    }
}
