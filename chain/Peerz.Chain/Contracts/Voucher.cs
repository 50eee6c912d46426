using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.TypedData;

namespace Peerz.Chain.Contracts;

/// <summary>A client's promise to pay a provider up to <paramref name="CumulativeAmount"/> in total (PaymentEscrow's EIP-712 Voucher).</summary>
public sealed record Voucher(Address Client, Address Provider, BigInteger CumulativeAmount, BigInteger Nonce)
{
    public const string DomainName = "Peerz Payment Escrow";

    private static readonly Eip712 Types = new(new Dictionary<string, IReadOnlyList<Eip712Field>>
    {
        ["Voucher"] = [new("client", "address"), new("provider", "address"), new("cumulativeAmount", "uint256"), new("nonce", "uint256")],
    });

    public static Eip712Domain Domain(BigInteger chainId, Address escrow) => new(DomainName, "1", chainId, escrow);

    public byte[] Digest(BigInteger chainId, Address escrow) => Types.Digest(Domain(chainId, escrow), "Voucher", Message());

    public EthSignature Sign(EthKey client, BigInteger chainId, Address escrow)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.Sign(Digest(chainId, escrow));
    }

    /// <summary>The ABI tuple value for contract calls.</summary>
    public object?[] ToTuple() => [Client, Provider, CumulativeAmount, Nonce];

    private Dictionary<string, object?> Message() => new()
    {
        ["client"] = Client,
        ["provider"] = Provider,
        ["cumulativeAmount"] = CumulativeAmount,
        ["nonce"] = Nonce,
    };
}
