using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.TypedData;

namespace Peerz.Chain.Contracts;

/// <summary>
/// A provider's signed statement of work for one response (ProviderRegistry's EIP-712 Receipt, domain version 2).
/// It names the provider and the paying client, so it is evidence against exactly one provider and credit for exactly
/// one pair; <paramref name="ServingMode"/> fixes the tolerance it is judged at and <paramref name="Amount"/> what it cost.
/// </summary>
/// <param name="Provider">The provider's staking account.</param>
/// <param name="Client">The paying client (the voucher's signer); <see cref="Address.Zero"/> for free work.</param>
/// <param name="ServingMode">How the provider computed: low nibble dtype, high nibble weight quantization (see Peerz.Protocol's ServingMode).</param>
/// <param name="Amount">PRZ wei this response charged the client.</param>
public sealed record WorkReceipt(
    Address Provider,
    Address Client,
    byte[] SessionId,
    ulong Step,
    byte[] ModelId,
    uint BlockStart,
    uint BlockEnd,
    byte[] InputHash,
    byte[] OutputHash,
    uint Tokens,
    ulong Timestamp,
    byte ServingMode,
    BigInteger Amount)
{
    public const string DomainName = "Peerz Provider Registry";

    /// <summary>The registry's EIP-712 domain version; version 1 receipts (without provider and client) are not valid evidence.</summary>
    public const string DomainVersion = "2";

    private static readonly Eip712 Types = new(new Dictionary<string, IReadOnlyList<Eip712Field>>
    {
        ["Receipt"] =
        [
            new("provider", "address"), new("client", "address"), new("sessionId", "bytes32"), new("step", "uint64"), new("modelId", "bytes32"),
            new("blockStart", "uint32"), new("blockEnd", "uint32"), new("inputHash", "bytes32"), new("outputHash", "bytes32"), new("tokens", "uint32"),
            new("timestamp", "uint64"), new("servingMode", "uint8"), new("amount", "uint256"),
        ],
    });

    public static Eip712Domain Domain(BigInteger chainId, Address registry) => new(DomainName, DomainVersion, chainId, registry);

    /// <summary>Tokens × blocks: the work this receipt states.</summary>
    public long Units => (long)Tokens * (BlockEnd > BlockStart ? BlockEnd - BlockStart : 0);

    public byte[] Digest(BigInteger chainId, Address registry) => Types.Digest(Domain(chainId, registry), "Receipt", Message());

    public EthSignature Sign(EthKey signer, BigInteger chainId, Address registry)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return signer.Sign(Digest(chainId, registry));
    }

    public object?[] ToTuple() =>
    [
        Provider, Client, SessionId, (BigInteger)Step, ModelId, (BigInteger)BlockStart, (BigInteger)BlockEnd, InputHash, OutputHash, (BigInteger)Tokens,
        (BigInteger)Timestamp, (BigInteger)ServingMode, Amount,
    ];

    private Dictionary<string, object?> Message() => new()
    {
        ["provider"] = Provider,
        ["client"] = Client,
        ["sessionId"] = SessionId,
        ["step"] = (BigInteger)Step,
        ["modelId"] = ModelId,
        ["blockStart"] = (BigInteger)BlockStart,
        ["blockEnd"] = (BigInteger)BlockEnd,
        ["inputHash"] = InputHash,
        ["outputHash"] = OutputHash,
        ["tokens"] = (BigInteger)Tokens,
        ["timestamp"] = (BigInteger)Timestamp,
        ["servingMode"] = (BigInteger)ServingMode,
        ["amount"] = Amount,
    };
}
