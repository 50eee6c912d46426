using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.TypedData;

namespace Peerz.Chain.Contracts;

/// <summary>A provider's signed statement of work for one response (ProviderRegistry's EIP-712 Receipt).</summary>
public sealed record WorkReceipt(
    byte[] SessionId,
    ulong Step,
    byte[] ModelId,
    uint BlockStart,
    uint BlockEnd,
    byte[] InputHash,
    byte[] OutputHash,
    uint Tokens,
    ulong Timestamp)
{
    public const string DomainName = "Peerz Provider Registry";

    private static readonly Eip712 Types = new(new Dictionary<string, IReadOnlyList<Eip712Field>>
    {
        ["Receipt"] =
        [
            new("sessionId", "bytes32"), new("step", "uint64"), new("modelId", "bytes32"), new("blockStart", "uint32"),
            new("blockEnd", "uint32"), new("inputHash", "bytes32"), new("outputHash", "bytes32"), new("tokens", "uint32"),
            new("timestamp", "uint64"),
        ],
    });

    public static Eip712Domain Domain(BigInteger chainId, Address registry) => new(DomainName, "1", chainId, registry);

    public byte[] Digest(BigInteger chainId, Address registry) => Types.Digest(Domain(chainId, registry), "Receipt", Message());

    public EthSignature Sign(EthKey provider, BigInteger chainId, Address registry)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return provider.Sign(Digest(chainId, registry));
    }

    public object?[] ToTuple() => [SessionId, (BigInteger)Step, ModelId, (BigInteger)BlockStart, (BigInteger)BlockEnd, InputHash, OutputHash, (BigInteger)Tokens, (BigInteger)Timestamp];

    private Dictionary<string, object?> Message() => new()
    {
        ["sessionId"] = SessionId,
        ["step"] = (BigInteger)Step,
        ["modelId"] = ModelId,
        ["blockStart"] = (BigInteger)BlockStart,
        ["blockEnd"] = (BigInteger)BlockEnd,
        ["inputHash"] = InputHash,
        ["outputHash"] = OutputHash,
        ["tokens"] = (BigInteger)Tokens,
        ["timestamp"] = (BigInteger)Timestamp,
    };
}
