using System.Globalization;
using System.Numerics;
using System.Text.Json.Serialization;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Settlement.Rewards;

/// <summary>What an account needs to call EpochRewards.claim: amount (decimal wei) and proof (0x hex nodes).</summary>
public sealed record ClaimProof(
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("amount")] string Amount,
    [property: JsonPropertyName("proof")] IReadOnlyList<string> Proof,
    [property: JsonPropertyName("root")] string Root)
{
    /// <exception cref="FormatException">A field is not what EpochRewards.claim takes.</exception>
    public (Address Account, BigInteger Amount, IReadOnlyList<byte[]> Proof) Parse()
    {
        if (!Address.TryParse(Account ?? "", out var account)) throw new FormatException($"'{Account}' is not an address");
        if (!BigInteger.TryParse(Amount, NumberStyles.None, CultureInfo.InvariantCulture, out var amount)) throw new FormatException($"'{Amount}' is not a decimal amount");
        if (Proof is null || Proof.Count > 256) throw new FormatException("the proof is missing or too long");
        return (account, amount, Proof.Select(p => Hex.Decode(p, 32)).ToArray());
    }
}
