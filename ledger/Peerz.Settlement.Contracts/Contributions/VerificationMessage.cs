using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.TypedData;

namespace Peerz.Settlement.Contributions;

/// <summary>
/// A verifier's statement "I checked the receipt with this EIP-712 digest at this time", signed as EIP-712
/// <c>Verification(address verifier,bytes32 receiptDigest,uint64 timestamp)</c> in the domain
/// name "Peerz Settlement", version "1", chainId, verifyingContract = EpochRewards. The signer must hold
/// VERIFIER_ROLE on the ProviderRegistry. One unit of verification work per receipt, whoever reports it first.
/// </summary>
public sealed record VerificationMessage(Address Verifier, byte[] ReceiptDigest, ulong Timestamp)
{
    public const string DomainName = "Peerz Settlement";

    private static readonly Eip712 Types = new(new Dictionary<string, IReadOnlyList<Eip712Field>>
    {
        ["Verification"] = [new("verifier", "address"), new("receiptDigest", "bytes32"), new("timestamp", "uint64")],
    });

    public static Eip712Domain Domain(BigInteger chainId, Address rewards) => new(DomainName, "1", chainId, rewards);

    public byte[] Digest(BigInteger chainId, Address rewards) => Types.Digest(Domain(chainId, rewards), "Verification", new Dictionary<string, object?>
    {
        ["verifier"] = Verifier,
        ["receiptDigest"] = ReceiptDigest,
        ["timestamp"] = (BigInteger)Timestamp,
    });

    public EthSignature Sign(EthKey verifier, BigInteger chainId, Address rewards)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return verifier.Sign(Digest(chainId, rewards));
    }
}
