using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.TypedData;

namespace Peerz.Chain.Contracts;

/// <summary>
/// Proof that whoever registers a receipt signer holds its key: the signer signs EIP-712
/// <c>SignerBinding(address provider)</c> in the registry's domain, naming the account that registers it.
/// Without it, a provider could register another provider's public signer and claim its receipts.
/// </summary>
public static class SignerBinding
{
    private static readonly Eip712 Types = new(new Dictionary<string, IReadOnlyList<Eip712Field>>
    {
        ["SignerBinding"] = [new("provider", "address")],
    });

    public static byte[] Digest(BigInteger chainId, Address registry, Address provider) =>
        Types.Digest(WorkReceipt.Domain(chainId, registry), "SignerBinding", new Dictionary<string, object?> { ["provider"] = provider });

    /// <summary>The proof <paramref name="signer"/> gives for being registered by <paramref name="provider"/>.</summary>
    public static EthSignature Prove(EthKey signer, BigInteger chainId, Address registry, Address provider)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return signer.Sign(Digest(chainId, registry, provider));
    }
}
