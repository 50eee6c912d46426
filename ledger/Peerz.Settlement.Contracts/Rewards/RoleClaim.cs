using System.Globalization;
using System.Numerics;
using System.Text.Json.Serialization;
using Peerz.Chain.Contracts;
using Peerz.Chain.Primitives;

namespace Peerz.Settlement.Rewards;

/// <summary>
/// One (account, role) leaf as published: the role's name (inference, training, verification, routing), the
/// amount (decimal wei) and the Merkle proof (0x hex nodes), i.e. the arguments of EpochRewards.claim for that role.
/// </summary>
public sealed record RoleClaim(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("amount")] string Amount,
    [property: JsonPropertyName("proof")] IReadOnlyList<string> Proof)
{
    public static string NameOf(RewardRole role) => role.ToString().ToLowerInvariant();

    public static RoleClaim From(RewardRole role, BigInteger amount, IReadOnlyList<string> proof) =>
        new(NameOf(role), amount.ToString(CultureInfo.InvariantCulture), proof);

    /// <exception cref="FormatException">A field is not what EpochRewards.claim takes.</exception>
    public (RewardRole Role, BigInteger Amount, IReadOnlyList<byte[]> Proof) Parse()
    {
        if (!Enum.TryParse<RewardRole>(Role, ignoreCase: true, out var role) || !Enum.IsDefined(role) || Role.Any(char.IsAsciiDigit))
            throw new FormatException($"'{Role}' is not a reward role");
        if (!BigInteger.TryParse(Amount, NumberStyles.None, CultureInfo.InvariantCulture, out var amount)) throw new FormatException($"'{Amount}' is not a decimal amount");
        if (Proof is null || Proof.Count > 256) throw new FormatException("the proof is missing or too long");
        return (role, amount, Proof.Select(p => Hex.Decode(p, 32)).ToArray());
    }
}
