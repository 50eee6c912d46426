using System.Numerics;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using static Peerz.Chain.Contracts.AbiDefinitions;

namespace Peerz.Chain.Contracts;

/// <summary>A provider's registration as stored by ProviderRegistry.getProvider.</summary>
public sealed record ProviderInfo(BigInteger Stake, Address Signer, byte[] PeerId, BigInteger PricePerToken, bool Jailed, BigInteger UnbondingAmount, ulong UnbondingRelease);

/// <summary>Binding for ProviderRegistry (staking, signer registration, slashing with signed receipts).</summary>
public sealed class ProviderRegistry(EthRpcClient rpc, Address address, TransactionSender? sender = null) : ContractBinding(rpc, address, sender)
{
    private const string ReceiptTuple = "(bytes32,uint64,bytes32,uint32,uint32,bytes32,bytes32,uint32,uint64)";

    public static readonly AbiFunction StakeFunction = AbiFunction.Parse("stake(uint256,address,bytes,uint256)");
    public static readonly AbiFunction RequestUnbondFunction = AbiFunction.Parse("requestUnbond(uint256)");
    public static readonly AbiFunction WithdrawFunction = AbiFunction.Parse("withdraw()");
    public static readonly AbiFunction SlashFunction = AbiFunction.Parse($"slash(address,{ReceiptTuple},bytes,bytes32)");
    public static readonly AbiFunction GetProviderFunction = AbiFunction.Parse("getProvider(address)", "uint256", "address", "bytes", "uint256", "bool", "uint256", "uint64");
    public static readonly AbiFunction IsActiveFunction = AbiFunction.Parse("isActive(address)", "bool");
    public static readonly AbiFunction ReceiptDigestFunction = AbiFunction.Parse($"receiptDigest({ReceiptTuple})", "bytes32");
    public static readonly AbiFunction MinStakeFunction = AbiFunction.Parse("minStake()", "uint256");
    public static readonly AbiFunction HasRoleFunction = AbiFunction.Parse("hasRole(bytes32,address)", "bool");

    /// <summary>keccak256("VERIFIER_ROLE"): may slash, and may report verification work to settlement.</summary>
    public static byte[] VerifierRole => Keccak.Hash("VERIFIER_ROLE");

    public static readonly AbiEvent StakedEvent = Event("Staked", Indexed("provider", "address"), Field("amount", "uint256"), Field("totalStake", "uint256"), Field("signer", "address"), Field("peerId", "bytes"), Field("pricePerToken", "uint256"));
    public static readonly AbiEvent UnbondRequestedEvent = Event("UnbondRequested", Indexed("provider", "address"), Field("amount", "uint256"), Field("releaseTime", "uint64"));
    public static readonly AbiEvent SlashedEvent = Event("Slashed", Indexed("provider", "address"), Indexed("verifier", "address"), Indexed("receiptDigest", "bytes32"), Field("amount", "uint256"), Field("evidenceHash", "bytes32"), Field("burned", "bool"));

    public static IReadOnlyList<AbiFunction> Functions { get; } =
        [StakeFunction, RequestUnbondFunction, WithdrawFunction, SlashFunction, GetProviderFunction, IsActiveFunction, ReceiptDigestFunction, MinStakeFunction, HasRoleFunction];

    public static IReadOnlyList<AbiEvent> EventDefinitions { get; } = [StakedEvent, UnbondRequestedEvent, SlashedEvent];

    public static IReadOnlyList<AbiError> ErrorDefinitions { get; } =
    [
        AbiError.Parse("BelowMinStake(uint256,uint256)"),
        AbiError.Parse("InsufficientStake(uint256,uint256)"),
        AbiError.Parse("EvidenceAlreadyUsed(bytes32)"),
        AbiError.Parse("NotRegistered(address)"),
        AbiError.Parse("ProviderIsJailed(address)"),
        AbiError.Parse("UnbondingNotFinished(uint64)"),
        AbiError.Parse("WrongSigner(address)"),
        AbiError.Parse("InvalidPeerId()"),
        AbiError.Parse("NothingToWithdraw()"),
        AbiError.Parse("ZeroAmount()"),
    ];

    public override IReadOnlyList<AbiError> Errors => ErrorDefinitions;

    public Task<TransactionReceipt> StakeAsync(BigInteger amount, Address signer, byte[] peerId, BigInteger pricePerToken, CancellationToken cancellationToken = default) =>
        SendAsync(StakeFunction, [amount, signer, peerId, pricePerToken], cancellationToken);

    public Task<TransactionReceipt> RequestUnbondAsync(BigInteger amount, CancellationToken cancellationToken = default) => SendAsync(RequestUnbondFunction, [amount], cancellationToken);

    public Task<TransactionReceipt> WithdrawAsync(CancellationToken cancellationToken = default) => SendAsync(WithdrawFunction, [], cancellationToken);

    public Task<TransactionReceipt> SlashAsync(Address provider, WorkReceipt receipt, EthSignature signature, byte[] evidenceHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(signature);
        return SendAsync(SlashFunction, [provider, receipt.ToTuple(), signature.ToBytes(), evidenceHash], cancellationToken);
    }

    public async Task<ProviderInfo> GetProviderAsync(Address provider, CancellationToken cancellationToken = default)
    {
        var v = await CallAsync(GetProviderFunction, [provider], cancellationToken).ConfigureAwait(false);
        return new ProviderInfo(Big(v[0]), (Address)v[1]!, (byte[])v[2]!, Big(v[3]), (bool)v[4]!, Big(v[5]), (ulong)Big(v[6]));
    }

    public Task<bool> IsActiveAsync(Address provider, CancellationToken cancellationToken = default) => CallSingleAsync<bool>(IsActiveFunction, [provider], cancellationToken);

    public Task<bool> HasRoleAsync(byte[] role, Address account, CancellationToken cancellationToken = default) => CallSingleAsync<bool>(HasRoleFunction, [role, account], cancellationToken);

    public Task<BigInteger> MinStakeAsync(CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(MinStakeFunction, [], cancellationToken);

    public Task<byte[]> ReceiptDigestAsync(WorkReceipt receipt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return CallSingleAsync<byte[]>(ReceiptDigestFunction, [receipt.ToTuple()], cancellationToken);
    }
}
